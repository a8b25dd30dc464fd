"""WSGI entry point: ``gunicorn -c gunicorn.conf.py app:app``."""
import logging

from proxy import logs
from proxy.http.server import create_app

logs.setup()
# Our format names no caller, thread or process, so every log call need not
# look them up (the Python Logging HOWTO, "Optimization"): finding the caller
# walks the whole Flask + gunicorn stack, once per access-log line.
logging._srcfile = None
logging.logThreads = False
logging.logProcesses = False
logging.logMultiprocessing = False
logs.native_locks()       # (the worker imports this module after gevent's patching)

app = create_app()
