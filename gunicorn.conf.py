"""gunicorn settings for Switchyard (gevent workers, long-lived streams).

Bind: ``PORT`` (PaaS) wins, else ``host``/``port`` from the config file.
Workers: ``WEB_CONCURRENCY`` (gunicorn reads it).  Default: one per core
with a shared state store (``state.redis-url``), else 1 -- without one each
worker would keep its own cooldowns, disabled flags and cursors.  With more
than one worker, metrics use prometheus-client's multiprocess mode (a fresh
``PROMETHEUS_MULTIPROC_DIR``, a dead worker's live gauges dropped).
"""
import gc
import logging
import os
import resource
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from proxy import config as config_mod  # noqa: E402
from proxy import logs  # noqa: E402
from proxy.http import banner, heap, portcheck, stalls  # noqa: E402
from proxy.errors import ConfigError  # noqa: E402
from proxy.access.peers import is_loopback_host  # noqa: E402

logs.setup()                   # config warnings below share the log's format
logconfig_dict = logs.gunicorn_logconfig()

try:
    _settings = config_mod.load()
except ConfigError as _exc:
    sys.exit(f"switchyard: invalid config: {_exc}")
# Workers load the same file again: its warnings were logged here, once.
os.environ["SWITCHYARD_CONFIG_REPORTED"] = "1"

_host = _settings["host"] or "0.0.0.0"     # CLIProxyAPI's "" = every interface
_port = os.environ.get("PORT") or _settings["port"]
_paas = "PORT" in os.environ and "SWITCHYARD_HOST" not in os.environ
if _paas:
    _host = "0.0.0.0"          # a PaaS routes to the container's public interface
_host = os.environ.get("SWITCHYARD_HOST", _host)
bind = [f"[{_host}]:{_port}" if ":" in _host else f"{_host}:{_port}"]

if not _settings["api-keys"] and not is_loopback_host(_host):
    _why = ("PORT is set, so Switchyard listens on 0.0.0.0 (every interface, as a PaaS "
            "expects)" if _paas else f"Switchyard would listen on {_host}")
    sys.exit(f"switchyard: refusing to start: {_why} with no api-keys, and anyone who can "
             "reach it could spend your credentials. Add client keys under `api-keys:` in "
             f"{config_mod.config_path()} (`switchyard keys add`), or stay on this machine with "
             "SWITCHYARD_HOST=127.0.0.1 (or `host: 127.0.0.1` without PORT).")

# Name who holds a busy port (gunicorn would retry, then say "Connection in
# use"); not when gunicorn inherits its sockets (re-exec, systemd activation).
if not {"GUNICORN_FD", "LISTEN_FDS"} & set(os.environ):
    _busy = portcheck.busy_message(_host, _port)
    if _busy:
        sys.exit(f"switchyard: {_busy}")

worker_class = "proxy.http.worker.Worker"   # gevent pywsgi + idle timeout (proxy/http/worker.py)
workers = int(os.environ.get("WEB_CONCURRENCY")
              or ((os.cpu_count() or 1) if _settings["state"]["redis-url"] else 1))
_metrics_dir = None
if workers > 1 and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
    # set before any worker imports prometheus_client (no preload_app)
    _metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(
        prefix="switchyard-metrics-")
worker_connections = 20000        # open client connections per worker (long streams)
timeout = 60                      # heartbeat only: gevent workers stay alive during streams
graceful_timeout = 30             # let in-flight streams finish on SIGTERM
keepalive = 75                    # idle client keep-alive (longer than typical LB idle)
accesslog = None                  # Switchyard logs its own access lines (secrets masked)
errorlog = "-"
loglevel = os.environ.get("SWITCHYARD_LOG_LEVEL", "info").lower()


def _raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


_raise_fd_limit()


GC_THRESHOLDS = (10_000, 10, 10)     # gc.set_threshold in each worker: see post_worker_init


def post_worker_init(worker):
    """Tell a supervisor (the integration tests) that a worker is serving:
    it writes a line to the file descriptor named by SWITCHYARD_READY_FD.

    Also moves everything loaded so far into the garbage collector's
    permanent generation (``gc.freeze``): full collections then skip the
    ~10^5 long-lived objects of Flask, urllib3 and the translators instead
    of walking them again and again under load.  And collects less often
    (``GC_THRESHOLDS``): with hundreds of requests in flight, every
    collection walks their live objects, and objects that outlive a few
    young collections are promoted and walked again by the older ones;
    Python's default (a young collection every 700 net allocations) spent
    ~9% of a loaded worker's CPU collecting (bench throughput, 200 clients,
    measured with ``gc.callbacks``), a young collection every 10,000 under
    1%.  Garbage cycles still go at the next young collection.

    And keeps the memory a request frees for the next one instead of
    faulting it in afresh (``proxy.http.heap``: over 1 ms per MB of body).

    And, with ``SWITCHYARD_STALL_MS`` set, logs what holds the event loop
    longer than that (``proxy.http.stalls``, a diagnostic).
    """
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    heap.keep_freed_memory()
    stalls.install_from_env()
    logging.getLogger("switchyard").info("worker %s serving (up to %s connections)",
                                         worker.pid, worker.cfg.worker_connections)
    fd = os.environ.get("SWITCHYARD_READY_FD")
    if fd:
        try:
            os.write(int(fd), b"ready\n")
        except OSError:
            pass

def when_ready(server):
    """The startup banner, once, from the master once its sockets are bound."""
    config_file = config_mod.config_path()
    lines = banner.lines(_settings, config_file=config_file if os.path.exists(config_file) else None,
                         addresses=[f"http://{_address(ln)}" for ln in server.LISTENERS],
                         workers=server.num_workers)
    log = logging.getLogger("switchyard")
    for line in lines:
        log.info("%s", line)


def _address(listener):
    host, port = listener.sock.getsockname()[:2]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def worker_exit(server, worker):
    """Flush usage records still queued in this worker; write its pending
    shared state and release its probe claims."""
    from proxy.telemetry import request_observer
    from proxy import state
    request_observer.shutdown()
    state.shutdown()


def child_exit(server, worker):
    """Drop a dead worker's live gauges (in-flight) from the shared metrics."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess
        multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _metrics_dir:
        shutil.rmtree(_metrics_dir, ignore_errors=True)


# No gunicornc control socket: several instances (tests, benchmarks) would
# fight over its one default path, and nothing here uses it.
control_socket_disable = True
