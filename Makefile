# Two commands for a newcomer: `make run` (install + serve) and `make test` (install + test).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

# `make run PORT=9000` moves the port and keeps the loopback bind. PORT set in the
# environment alone (a PaaS) binds 0.0.0.0, where api-keys are required (gunicorn.conf.py).
ifeq ($(origin PORT),command line)
export PORT
export SWITCHYARD_HOST ?= 127.0.0.1
endif

.PHONY: run test test-clis test-deploy smoke install install-dev bench clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

install: $(BIN)/activate     # runtime deps + this checkout (editable): the `switchyard` command
	$(BIN)/pip install -q -r requirements.txt
	$(BIN)/pip install -q --no-deps -e .

install-dev: $(BIN)/activate
	$(BIN)/pip install -q -r requirements-dev.txt
	$(BIN)/pip install -q --no-deps -e .

run: install
	$(BIN)/gunicorn -c gunicorn.conf.py app:app

test: install-dev
	$(BIN)/pytest -n 2

test-clis: install-dev   # opt-in: the pinned Claude Code / Codex / Gemini CLIs (npm), tests/clis
	BIN=$(BIN) tests/clis/run.sh

smoke:            # `make run` in a copy of the tree, runtime deps only; echo via all four front doors
	$(PYTHON) tests/smoke/runtime_smoke.py

test-deploy: install-dev   # deploy/: the Dockerfile's steps without Docker, the compose file, the systemd unit
	$(PYTHON) deploy/check_dockerfile.py
	$(BIN)/pytest tests/deploy

bench:            # benchmarks (not part of `make test`): see bench/README.md
	bench/run.sh

clean:
	rm -rf $(VENV)
