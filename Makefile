# Two commands for a newcomer: `make run` (install + serve) and `make test` (install + test).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test install install-dev bench clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

install: $(BIN)/activate
	$(BIN)/pip install -q -r requirements.txt

install-dev: $(BIN)/activate
	$(BIN)/pip install -q -r requirements-dev.txt

run: install
	$(BIN)/gunicorn -c gunicorn.conf.py app:app

test: install-dev
	$(BIN)/pytest -n 2

bench:            # benchmarks (not part of `make test`): see bench/README.md
	bench/run.sh

clean:
	rm -rf $(VENV)
