"""auralith_pipeline: the Python API of the Auralith pipeline, on the C library.

Modules:
    auralith_pipeline.tokenization   BPETokenizer (load, encode, encode_batch, decode, train, save)
    auralith_pipeline.shards         read an output directory's SafeTensors shards (NumPy, PyTorch)
    auralith_pipeline.distributed    JobConfig, DistributedConfig, DistributedPipeline, DistributedClient

Every error raised by the C library is an AuralithError (or a subclass) carrying the
library's message and code.
"""
from ._core import (  # noqa: F401
    AuralithError,
    AuthError,
    ConfigError,
    ConnectError,
    InvalidRequestError,
    NoFilesError,
    NotFoundError,
    RequestTimeout,
    TokenizerError,
)
from ._core import LOG_DEBUG, LOG_ERROR, LOG_INFO, LOG_NONE, LOG_WARN  # noqa: F401
from ._core import get_log_level, set_log_level  # noqa: F401

__version__ = "0.1.0"
__all__ = [
    "AuralithError", "AuthError", "ConfigError", "ConnectError", "InvalidRequestError",
    "NoFilesError", "NotFoundError", "RequestTimeout", "TokenizerError",
    "set_log_level", "get_log_level",
]
