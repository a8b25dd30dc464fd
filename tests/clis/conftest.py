"""The real-CLI suite: opt-in (``make test-clis``), never part of ``make test``.

It needs npm and installs the pinned CLIs (``install.py``); without
``SWITCHYARD_CLIS=1`` (set by ``run.sh``) nothing here is collected.
"""
import os

import pytest

from tests.clis import install
from tests.integration.conftest import fake, launch, standard_config, upstream  # noqa: F401

if os.environ.get("SWITCHYARD_CLIS") != "1":
    collect_ignore_glob = ["test_*.py"]


@pytest.fixture(scope="session")
def cli_bin():
    """The folder holding the pinned ``claude``, ``codex`` and ``gemini``."""
    return install.install()


@pytest.fixture(scope="session")
def cli_gateway(fake, tmp_path_factory):  # noqa: F811
    """The real server (gunicorn + gevent), one credential per upstream kind."""
    # gunicorn's own access log on: every request a CLI makes shows, model
    # lists and other side calls included, not only the proxied ones
    gw = launch(standard_config(fake.url), str(tmp_path_factory.mktemp("cli-gw")),
                env_extra={"GUNICORN_CMD_ARGS": "--access-logfile -"})
    yield gw
    gw.stop()
