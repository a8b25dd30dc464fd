"""Portkey's gateway as a bench peer: its install, and every path the bench
sends it answered from the mock.  The round trips need the pinned package in
the npm cache (``python -m bench.node_peers.install``, network once); without
it they are skipped, saying so."""
import json
import os
import tempfile

import pytest

from bench import targets, wire
from bench.http_client import Connection
from bench.loadgen import Request
from bench.node_peers import install
from bench.procs import Supervisor
from bench.servers import configure_mock, start_portkey


def test_cache_folder_follows_the_pins(monkeypatch, tmp_path):
    monkeypatch.setenv("SWITCHYARD_BENCH_NPM_CACHE", str(tmp_path))
    folder = install.cache_dir()
    assert os.path.dirname(folder) == str(tmp_path) and len(os.path.basename(folder)) == 12
    assert install.pinned(install.PORTKEY) == "1.15.2"


def test_missing_node_or_install_is_a_clear_refusal(monkeypatch, tmp_path):
    monkeypatch.setenv("SWITCHYARD_BENCH_NPM_CACHE", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))          # neither node nor npm
    with pytest.raises(install.PeerUnavailable, match="node is not on PATH"):
        install.node()
    with pytest.raises(install.PeerUnavailable, match="not installed"):
        install.portkey_script(install=False)
    with pytest.raises(install.PeerUnavailable, match="npm is not on PATH"):
        install.portkey_script()


def _installed():
    try:
        install.portkey_script(install=False)
        install.node()
    except install.PeerUnavailable as exc:
        return str(exc)
    return None


@pytest.fixture(scope="module")
def portkey():
    missing = _installed()
    if missing:
        pytest.skip(missing)
    with tempfile.TemporaryDirectory() as logs, Supervisor(logs) as supervisor:
        yield start_portkey(supervisor, logs)


@pytest.mark.parametrize("client, upstream", sorted(targets.PORTKEY_PATHS))
@pytest.mark.parametrize("stream", [False, True])
def test_every_portkey_path_reaches_the_mock(portkey, mock, client, upstream, stream):
    configure_mock(mock, tokens=5)
    spec = targets.via_portkey(targets.spec(portkey.port, client, upstream, stream, 5),
                               client, upstream, mock.port)
    request = Request(spec)
    body = []
    conn = Connection("127.0.0.1", portkey.port, timeout=20)
    try:
        status = conn.exchange(request.raw, body.append)
    finally:
        conn.close()
    text = b"".join(body)
    assert status == 200, text[:500]
    assert request.expect in text
    if not stream:
        assert wire.full_text(5).strip() in json.dumps(json.loads(text))
