# Two commands on a fresh machine: `make demo` and `make test`.
# Everything is installed into .venv (ROS 2 Kilted, Python 3.11) from the pinned
# requirements.txt; `make test-jazzy` runs the same tests in .venv-jazzy (ROS 2 Jazzy,
# Python 3.12, Ubuntu 24.04's library versions) from requirements-jazzy.txt.
PYTHON_BIN ?= $(shell command -v python3.11 || command -v python3)
# python3.12 on PATH if it runs (Ubuntu 24.04), else one that pyenv has installed.
PYTHON_JAZZY ?= $(shell python3.12 -c 'import sys; print(sys.executable)' 2>/dev/null || \
	ls -d $$(pyenv root 2>/dev/null)/versions/3.12*/bin/python3.12 2>/dev/null | tail -n 1)
VENV ?= .venv
VENV_JAZZY ?= .venv-jazzy
PY := $(VENV)/bin/python
PY_JAZZY := $(VENV_JAZZY)/bin/python
INSTALLED := $(VENV)/.installed
INSTALLED_JAZZY := $(VENV_JAZZY)/.installed
PIP_FLAGS := --quiet --disable-pip-version-check

.PHONY: demo test test-jazzy lint bench clean

$(INSTALLED): requirements.txt setup.py setup.cfg package.xml
	$(PYTHON_BIN) -m venv $(VENV)
	$(VENV)/bin/pip install $(PIP_FLAGS) -r requirements.txt
	$(VENV)/bin/pip install $(PIP_FLAGS) --no-deps --no-build-isolation -e .
	touch $@

$(INSTALLED_JAZZY): requirements-jazzy.txt setup.py setup.cfg package.xml
	@test -n "$(PYTHON_JAZZY)" || { echo "make test-jazzy needs python3.12 (or PYTHON_JAZZY=...)"; exit 2; }
	$(PYTHON_JAZZY) -m venv $(VENV_JAZZY)
	$(VENV_JAZZY)/bin/pip install $(PIP_FLAGS) -r requirements-jazzy.txt
	$(VENV_JAZZY)/bin/pip install $(PIP_FLAGS) --no-deps --no-build-isolation -e .
	touch $@

demo: $(INSTALLED)
	$(PY) -m stereo_depth_node.demo --out demo_output

test: lint
	$(PY) -m pytest

# The Jazzy lane runs the same tests; types are checked once, in the Kilted lane (OpenCV 4.6
# and NumPy 1.26 ship older type information).
# OTHER_ROS_PYTHON: the Kilted interpreter, for the test of a Jazzy camera and a Kilted node.
test-jazzy: $(INSTALLED_JAZZY) $(INSTALLED)
	OTHER_ROS_PYTHON=$(abspath $(PY)) $(PY_JAZZY) -m pytest

lint: $(INSTALLED)
	$(PY) -m ruff check .
	$(PY) -m mypy

bench: $(INSTALLED)
	$(PY) benchmarks/stage_costs.py
	$(PY) benchmarks/input_costs.py
	$(PY) benchmarks/node_throughput.py
	$(PY) benchmarks/soak.py
	$(PY) benchmarks/soak.py --minutes 1 --size 1280x720 --params-file fast.yaml
	$(PY) benchmarks/driver_delivery.py
	$(PY) benchmarks/hostile_memory.py
	$(PY) benchmarks/census_matcher.py
	$(PY) benchmarks/accuracy.py
	$(PY) benchmarks/batch_scaling.py

clean:
	rm -rf $(VENV) $(VENV_JAZZY) demo_output
