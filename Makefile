# Two commands on a fresh machine: `make demo` and `make test`.
# Everything is installed into .venv from the pinned requirements.txt.
PYTHON_BIN ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(INSTALLED): requirements.txt setup.py setup.cfg package.xml
	$(PYTHON_BIN) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

demo: $(INSTALLED)
	$(PY) -m stereo_depth_node.demo --out demo_output

test: lint
	$(PY) -m pytest

lint: $(INSTALLED)
	$(PY) -m ruff check .
	$(PY) -m mypy

bench: $(INSTALLED)
	$(PY) benchmarks/node_throughput.py

clean:
	rm -rf $(VENV) demo_output
