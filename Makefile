# iienv developer tasks. Everything a fresh machine needs is installed from here.
PYTHON ?= python3.11
VENV ?= .venv
VPY := $(VENV)/bin/python
WHEELHOUSE ?= wheelhouse
# Test wheels (scripts/test-wheels.txt) are downloaded once, then installed offline.
HOST_NUMPY := numpy==1.24.4

BPY_VENV ?= .venv-bpy
BPY := $(BPY_VENV)/bin/python

.PHONY: venv bpy-venv system-deps wheels build test bench lint demo demo-core screenshot clean corpus-table stress

$(VENV)/.stamp: requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@

venv: $(VENV)/.stamp

# Blender 4.5 as a Python module (~370 MB wheel), in a venv of its own because it
# brings its own numpy.
$(BPY_VENV)/.stamp: requirements-blender.txt
	$(PYTHON) -m venv $(BPY_VENV)
	$(BPY) -m pip install --disable-pip-version-check -q -r requirements-blender.txt
	touch $@

bpy-venv: $(BPY_VENV)/.stamp

system-deps:
	sh scripts/install_system_deps.sh

build: $(BPY_VENV)/.stamp
	$(BPY) scripts/build.py --out dist

$(WHEELHOUSE)/.stamp: scripts/test-wheels.txt scripts/fetch_wheels.sh scripts/build_fixture_wheels.py tests/corpus/sets.txt scripts/fetch_corpus_wheels.sh | $(VENV)/.stamp
	PYTHON=$(VPY) WHEELHOUSE=$(WHEELHOUSE) sh scripts/fetch_wheels.sh $$(grep -v '^#' scripts/test-wheels.txt)
	PYTHON=$(VPY) WHEELHOUSE=$(WHEELHOUSE) sh scripts/fetch_corpus_wheels.sh
	$(VPY) scripts/build_fixture_wheels.py $(WHEELHOUSE)
	touch $@

wheels: $(WHEELHOUSE)/.stamp

# The host ("Blender's own") numpy for unit tests, installed offline from the wheelhouse.
$(VENV)/.host-numpy: $(WHEELHOUSE)/.stamp
	$(VPY) -m pip install --disable-pip-version-check -q --no-index --find-links $(WHEELHOUSE) $(HOST_NUMPY)
	touch $@

test: $(VENV)/.host-numpy $(BPY_VENV)/.stamp system-deps lint
	IIENV_WHEELHOUSE=$(abspath $(WHEELHOUSE)) IIENV_BPY_PYTHON=$(abspath $(BPY)) $(VPY) -m pytest

# The long fault runs: 50 SIGKILLs per operation, 4 processes x 40 rounds (CI runs fewer).
stress: $(VENV)/.host-numpy
	IIENV_WHEELHOUSE=$(abspath $(WHEELHOUSE)) IIENV_KILL_TRIALS=50 IIENV_STRESS_WORKERS=4 \
		IIENV_STRESS_ROUNDS=40 $(VPY) -m pytest -q tests/unit/test_kills.py \
		tests/unit/test_stress.py tests/unit/test_processes.py

bench: $(VENV)/.host-numpy $(BPY_VENV)/.stamp
	IIENV_WHEELHOUSE=$(abspath $(WHEELHOUSE)) IIENV_BPY_PYTHON=$(abspath $(BPY)) $(VPY) scripts/bench.py

# The README's compatibility table, from the corpus outcomes the last `make test` wrote in build/.
corpus-table: venv
	$(VPY) scripts/corpus_table.py

# The main job: two add-ons with conflicting numpy in one real Blender, then purge and reinstall.
demo: $(BPY_VENV)/.stamp $(WHEELHOUSE)/.stamp
	IIENV_WHEELHOUSE=$(abspath $(WHEELHOUSE)) $(BPY) scripts/demo_blender.py

# docs/preferences.png from a real Blender window (Debian's binary under Xvfb).
screenshot: system-deps $(WHEELHOUSE)/.stamp
	IIENV_WHEELHOUSE=$(abspath $(WHEELHOUSE)) sh scripts/screenshot.sh

# The same story with the engine alone, in plain Python.
demo-core: $(VENV)/.host-numpy
	IIENV_WHEELHOUSE=$(abspath $(WHEELHOUSE)) $(VPY) scripts/demo_core.py

lint: venv
	$(VPY) -m ruff check .
	$(VPY) -m ruff format --check .
	$(VPY) -m mypy

clean:
	rm -rf $(VENV) $(BPY_VENV) $(WHEELHOUSE) build dist
