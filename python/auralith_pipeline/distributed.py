"""The original's distributed API on the C coordinator, workers and client.

    from auralith_pipeline.distributed import DistributedPipeline, JobConfig

    job_cfg = JobConfig(name="my-processing-job", num_workers=4, timeout=3600)
    pipeline = DistributedPipeline(job_cfg, embedded=True, num_workers=4)
    result = pipeline.run(input_dir="data/raw/", output_dir="shards/", tokenizers_dir="tokenizers/")
    print(result["status"], result["completed_tasks"], result["total_tasks"])

Embedded mode runs a coordinator and num_workers workers inside this process (no
Redis, no network); external mode submits to a running coordinator
(coordinator="host:port") and follows the job over the wire protocol. run() blocks with
the GIL released, calls `progress(job_dict)` on every change, and returns the
original's result dict plus our counts. Ctrl-C during run() (main thread) does what
the CLI does: embedded cancels the job, external detaches from it (it keeps running);
then KeyboardInterrupt is raised with the result in its `result` attribute.
"""
from __future__ import annotations

import dataclasses
import json
import os
import signal
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Union

from . import _core
from ._core import ConfigError

PathLike = Union[str, os.PathLike]

_CONFIG_NOT_FOUND = _core.E_CONFIG_NOT_FOUND  # al_err code (include/auralith/error.h)


class ConfigNotFoundError(ConfigError, FileNotFoundError):
    """The config file does not exist (the original raised FileNotFoundError)."""


# ---- configuration -------------------------------------------------------------------

@dataclass
class CoordinatorConfig:
    """The original's CoordinatorConfig; `options` holds the keys our coordinator adds
    (strategy, auth_token, prefetch, ...; docs/CONFIGURATION.md)."""
    host: str = "localhost"
    port: int = 8080
    state_store_type: str = "redis"
    state_store_host: str = "localhost"
    state_store_port: int = 6379
    state_store_db: int = 0
    state_store_password: Optional[str] = None
    heartbeat_interval: float = 10
    heartbeat_timeout: float = 30
    max_retries: int = 3
    retry_backoff: float = 5
    task_timeout: float = 3600
    enable_checkpointing: bool = True
    checkpoint_interval: float = 300
    checkpoint_dir: str = "./checkpoints"
    keep_last_n_checkpoints: int = 5
    options: Dict[str, Any] = field(default_factory=dict)


@dataclass
class WorkerPoolConfig:
    """The original's WorkerPoolConfig (`options`: keys we add)."""
    name: str
    worker_ids: List[str] = field(default_factory=list)
    batch_size: int = 100
    num_processes: int = 4
    cpu_cores: Optional[int] = None
    memory_gb: Optional[int] = None
    gpu_count: int = 0
    cache_dir: str = "/tmp/auralith_cache"
    max_cache_size_gb: int = 50
    cleanup_on_exit: bool = True
    options: Dict[str, Any] = field(default_factory=dict)


@dataclass
class JobConfig:
    """The original's JobConfig. DistributedPipeline uses name, num_workers, timeout and,
    without a coordinator= argument or a config file, coordinator_host/port for external
    runs; `options` holds the keys we add (files_per_task, max_seq_len, ...)."""
    name: str = "auralith-job"
    coordinator_host: str = "localhost"
    coordinator_port: int = 8080
    num_workers: int = 1
    timeout: float = 86400
    enable_monitoring: bool = True
    monitoring_port: int = 9090
    max_task_retries: int = 3
    retry_backoff_multiplier: float = 2
    max_retry_backoff: float = 300
    output_dir: str = "./output"
    checkpoint_enabled: bool = True
    options: Dict[str, Any] = field(default_factory=dict)


def _split(cls, values: dict):
    names = {f.name for f in dataclasses.fields(cls)} - {"options"}
    known = {k: v for k, v in values.items() if k in names}
    rest = {k: v for k, v in values.items() if k not in names}
    return cls(**known, options=rest)


def _yaml_scalar(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    return json.dumps(str(v))  # a JSON string is a YAML double-quoted scalar


@dataclass
class DistributedConfig:
    """coordinator + workers + job, loaded by the C library's loader (the same strict
    validation as the commands: unknown keys and bad values raise ConfigError naming
    FILE:LINE:COLUMN)."""
    coordinator: CoordinatorConfig = field(default_factory=CoordinatorConfig)
    workers: List[WorkerPoolConfig] = field(default_factory=list)
    job: JobConfig = field(default_factory=JobConfig)
    path: Optional[str] = None

    @classmethod
    def from_yaml(cls, path: PathLike) -> "DistributedConfig":
        p = os.fspath(path)
        try:
            doc = json.loads(_core.load_config(p))
        except ConfigError as e:
            if getattr(e, "code", None) == _CONFIG_NOT_FOUND:
                err = ConfigNotFoundError(str(e))
                err.code = _CONFIG_NOT_FOUND
                raise err from None
            raise
        return cls._from_dict(doc, p)

    @classmethod
    def defaults(cls) -> "DistributedConfig":
        """The built-in defaults (plus AURALITH_AUTH_TOKEN), as the commands see them."""
        return cls._from_dict(json.loads(_core.load_config(None)), None)

    @classmethod
    def _from_dict(cls, doc: dict, path: Optional[str]) -> "DistributedConfig":
        return cls(coordinator=_split(CoordinatorConfig, doc["coordinator"]),
                   workers=[_split(WorkerPoolConfig, w) for w in doc["workers"]],
                   job=_split(JobConfig, doc["job"]), path=path)

    def to_yaml(self, path: PathLike) -> None:
        """Writes the keys the original's to_yaml wrote (a lossy subset, as there), in
        a form the loader reads back."""
        c, j = self.coordinator, self.job
        lines = ["coordinator:"]
        for k in ("host", "port", "state_store_type", "state_store_host", "state_store_port",
                  "heartbeat_interval", "heartbeat_timeout"):
            lines.append(f"  {k}: {_yaml_scalar(getattr(c, k))}")
        lines.append("workers:" if self.workers else "workers: []")
        for w in self.workers:
            lines.append(f"  - name: {_yaml_scalar(w.name)}")
            lines.append("    worker_ids: [" + ", ".join(_yaml_scalar(x) for x in w.worker_ids) + "]")
            lines.append(f"    batch_size: {_yaml_scalar(w.batch_size)}")
            lines.append(f"    num_processes: {_yaml_scalar(w.num_processes)}")
        lines.append("job:")
        for k in ("name", "num_workers", "timeout"):
            lines.append(f"  {k}: {_yaml_scalar(getattr(j, k))}")
        p = os.fspath(path)
        if os.path.dirname(p):
            os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")


# ---- running jobs --------------------------------------------------------------------

_RUN_OPTIONS = {"job_id", "detach", "request_timeout", "on_submitted", "auth_token"}


class DistributedPipeline:
    """DistributedPipeline(job_config, distributed_config=None, *, embedded=False,
    num_workers=None, coordinator=None, auth_token=None).

    num_workers: the argument, else job_config.num_workers, else 2 (embedded workers).
    coordinator: "host:port" for external mode; without it $AURALITH_COORDINATOR, then
    the config file's coordinator.host/port, then job_config.coordinator_host/port.
    distributed_config: a DistributedConfig (its file supplies the defaults and the
    auth token) or a path to a YAML file."""

    def __init__(self, job_config: Optional[JobConfig] = None,
                 distributed_config: Union[DistributedConfig, PathLike, None] = None, *,
                 embedded: bool = False, num_workers: Optional[int] = None, coordinator: Optional[str] = None,
                 auth_token: Optional[str] = None):
        if isinstance(distributed_config, (str, os.PathLike)):
            distributed_config = DistributedConfig.from_yaml(distributed_config)
        self.dist_config = distributed_config
        self.job_config = job_config or (distributed_config.job if distributed_config else JobConfig())
        self.embedded = embedded
        self.num_workers = num_workers or self.job_config.num_workers or 2
        self.coordinator = coordinator
        self.auth_token = auth_token

    def _address(self) -> Optional[str]:
        if self.coordinator:
            return self.coordinator
        if os.environ.get("AURALITH_COORDINATOR") or (self.dist_config and self.dist_config.path):
            return None  # the runner takes the environment, then the config file
        return f"{self.job_config.coordinator_host}:{self.job_config.coordinator_port}"

    def run(self, input_dir: PathLike, output_dir: PathLike, tokenizers_dir: PathLike, *,
            max_seq_len: int = 4096, shard_size: int = 10_000, files_per_task: int = 500,
            poll_interval: float = 2.0, timeout: Optional[float] = None,
            progress: Optional[Callable[[dict], Any]] = None, **options) -> dict:
        """Runs the job and returns {job_id, status, total_tasks, completed_tasks,
        failed_tasks, elapsed_seconds, files, samples, tokens, errors, coordinator,
        interrupted}. status is completed, completed_with_errors, failed, cancelled,
        timeout, or detached (detach=True, or Ctrl-C in external mode).

        options: job_id, detach, request_timeout (seconds per request), on_submitted
        (callable(job_id, files, tasks)), auth_token. poll_interval is accepted for
        compatibility; progress arrives as events, nothing polls."""
        unknown = set(options) - _RUN_OPTIONS
        if unknown:
            raise TypeError(f"run() got unexpected option(s) {sorted(unknown)}; accepted: {sorted(_RUN_OPTIONS)}")
        del poll_interval
        handle_sigint = (threading.current_thread() is threading.main_thread()
                         and signal.getsignal(signal.SIGINT) is signal.default_int_handler)
        extra = {}
        if self.dist_config is not None and self.dist_config.path:
            extra["config_path"] = self.dist_config.path
        result = _core.run_pipeline(
            os.fspath(input_dir), os.fspath(output_dir), os.fspath(tokenizers_dir), **extra,
            job_name=self.job_config.name, job_id=options.get("job_id"),
            max_seq_len=max_seq_len, shard_size=shard_size, files_per_task=files_per_task,
            timeout=float(self.job_config.timeout if timeout is None else timeout),
            embedded=self.embedded, num_workers=self.num_workers if self.embedded else 0,
            coordinator=None if self.embedded else self._address(),
            auth_token=options.get("auth_token", self.auth_token),
            request_timeout=float(options.get("request_timeout") or 0), detach=bool(options.get("detach")),
            progress=progress, on_submitted=options.get("on_submitted"), handle_sigint=handle_sigint)
        if result["interrupted"]:
            if result["status"] == "detached":
                msg = (f"interrupted: detached from job {result['job_id']}, which keeps running on "
                       f"{result['coordinator']}")
            else:
                msg = f"interrupted: job {result['job_id']} {result['status']}"
            exc = KeyboardInterrupt(msg)
            exc.result = result
            raise exc
        return result


# ---- monitoring ----------------------------------------------------------------------

class DistributedClient:
    """A connection to a coordinator: DistributedClient("host:port", token=None).

    The original read Redis directly; this speaks the coordinator's protocol (role
    admin), so it needs no Redis access and sees the live scheduler state. Also a
    context manager (closes on exit). Errors raise AuralithError subclasses (unknown
    job: NotFoundError, a ValueError as the original's)."""

    def __init__(self, address: Optional[str] = None, token: Optional[str] = None, timeout: Optional[float] = None):
        self._c = _core.Client(address, token, float(timeout or 0), "admin")

    def list_workers(self) -> List[dict]:
        """[{id, status ("active" for a live worker), cpu_usage, memory_usage, state,
        slots, running, queued, rss_bytes, tasks_completed, tasks_failed, last_seen_s}]"""
        return self._c.list_workers()

    def get_job(self, job_id: str) -> dict:
        return self._c.get_job(job_id)

    def list_jobs(self, limit: int = 0) -> List[dict]:
        return self._c.list_jobs(limit)

    def get_metrics(self, job_id: str) -> dict:
        """{total_tasks, completed_tasks, failed_tasks, throughput (percent complete, as
        the original), error_rate}"""
        return self._c.get_metrics(job_id)

    def get_task(self, task_id: str) -> dict:
        return self._c.get_task(task_id)

    def cancel_job(self, job_id: str) -> None:
        self._c.cancel_job(job_id)

    def set_strategy(self, name: str) -> None:
        self._c.set_strategy(name)

    def drain_worker(self, worker_id: str) -> None:
        self._c.drain_worker(worker_id)

    @property
    def server_info(self) -> dict:
        return self._c.info()

    @property
    def closed(self) -> bool:
        return self._c.closed

    def close(self) -> None:
        self._c.close()

    def __enter__(self) -> "DistributedClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


__all__ = ["JobConfig", "CoordinatorConfig", "WorkerPoolConfig", "DistributedConfig", "DistributedPipeline",
           "DistributedClient", "ConfigNotFoundError"]
