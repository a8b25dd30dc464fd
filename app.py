"""WSGI entry point: ``gunicorn -c gunicorn.conf.py app:app``."""
import logging
import os

from proxy.server import create_app

logging.basicConfig(level=os.environ.get("SWITCHYARD_LOG_LEVEL", "INFO"),
                    format="%(asctime)s %(levelname)s %(name)s %(message)s")

app = create_app()
