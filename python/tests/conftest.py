"""Shared fixtures: paths into the project's test data and built programs."""
import os
import socket

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DATA = os.path.join(ROOT, "tests", "data")
BUILD = os.environ.get("AURALITH_BUILD_DIR", os.path.join(ROOT, "build"))
PIPELINE = os.path.join(BUILD, "auralith-pipeline")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def text_data():
    return os.path.join(DATA, "text")


@pytest.fixture
def pipeline_bin():
    if not os.access(PIPELINE, os.X_OK):
        pytest.fail(f"{PIPELINE} not built (set AURALITH_BUILD_DIR)")
    return PIPELINE
