# iienv developer tasks. Everything a fresh machine needs is installed from here.
PYTHON ?= python3.11
VENV ?= .venv
VPY := $(VENV)/bin/python
WHEELHOUSE ?= wheelhouse
# Test wheels (scripts/test-wheels.txt) are downloaded once, then installed offline.
HOST_NUMPY := numpy==1.24.4

.PHONY: venv wheels test test-fast bench lint demo cpython-import-tests clean

$(VENV)/.stamp: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@

venv: $(VENV)/.stamp

$(WHEELHOUSE)/.stamp: scripts/test-wheels.txt scripts/fetch_wheels.sh scripts/build_fixture_wheels.py | $(VENV)/.stamp
	PYTHON=$(VPY) WHEELHOUSE=$(WHEELHOUSE) sh scripts/fetch_wheels.sh $$(grep -v '^#' scripts/test-wheels.txt)
	$(VPY) scripts/build_fixture_wheels.py $(WHEELHOUSE)
	touch $@

wheels: $(WHEELHOUSE)/.stamp

# The host ("Blender's own") numpy for unit tests, installed offline from the wheelhouse.
$(VENV)/.host-numpy: $(WHEELHOUSE)/.stamp
	$(VPY) -m pip install --disable-pip-version-check -q --no-index --find-links $(WHEELHOUSE) $(HOST_NUMPY)
	touch $@

test: $(VENV)/.host-numpy lint
	IIENV_WHEELHOUSE=$(abspath $(WHEELHOUSE)) $(VPY) -m pytest

bench: $(VENV)/.host-numpy
	IIENV_WHEELHOUSE=$(abspath $(WHEELHOUSE)) $(VPY) scripts/bench.py

demo: $(VENV)/.host-numpy
	IIENV_WHEELHOUSE=$(abspath $(WHEELHOUSE)) $(VPY) scripts/demo_core.py

lint: venv
	$(VPY) -m ruff check .
	$(VPY) -m ruff format --check .
	$(VPY) -m mypy

clean:
	rm -rf $(VENV) $(WHEELHOUSE) build dist
