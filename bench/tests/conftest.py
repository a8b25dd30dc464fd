"""One mock upstream process for the whole test session."""
import tempfile

import pytest

from bench.procs import Supervisor
from bench.servers import configure_mock, start_mock


@pytest.fixture(scope="session")
def mock_server():
    with tempfile.TemporaryDirectory() as logs, Supervisor(logs) as supervisor:
        yield start_mock(supervisor)


@pytest.fixture
def mock(mock_server):
    """The mock, reset to instant answers of 16 tokens."""
    configure_mock(mock_server, latency_ms=0, chunk_delay_ms=0, hold=False, tokens=16)
    return mock_server


@pytest.fixture
def base_url(mock):
    return f"http://127.0.0.1:{mock.port}"
