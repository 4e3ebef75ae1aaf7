# iienv developer tasks. Everything a fresh machine needs is installed from here.
#
# Blender embeds Python 3.11 (4.2 LTS, 4.5 LTS, 5.0) or Python 3.13 (5.1 to 5.3). Each
# Python has a dev venv, a wheelhouse (downloaded once, installed offline afterwards)
# and a host numpy for the unit tests; each Blender version (bpy from the package
# index) has a venv of its own. `make test` runs everything under both Pythons.
PYTHON ?= python3.11
# Found (or installed with pyenv) by scripts/find_python.sh; give a path to override.
PY313 ?= $(shell sh scripts/find_python.sh 3.13)
# The Blender of `make demo` and `make test-blender`: 4.2, 4.5, 5.0 or 5.3.
BLENDER ?= 4.5

VENV_311 := .venv
VENV_313 := .venv-3.13
PYTHON_311 = $(PYTHON)
PYTHON_313 = $(PY313)
WHEELHOUSE_311 := wheelhouse/cp311
WHEELHOUSE_313 := wheelhouse/cp313
# The host's ("Blender's") numpy in unit tests: a 1.x on 3.11, Blender 5.3's own on 3.13.
HOST_NUMPY_311 := numpy==1.24.4
HOST_NUMPY_313 := numpy==2.5.5

# Which Python each Blender embeds (its bpy pin is in requirements/bpy-<version>.txt;
# 4.3 is Debian trixie's binary, not a bpy).
PYV_4.2 := 311
PYV_4.3 := 313
PYV_4.5 := 311
PYV_5.0 := 311
PYV_5.3 := 313
PYV = $(or $(PYV_$(BLENDER)),$(error BLENDER=$(BLENDER): choose one of 4.2 4.5 5.0 5.3))

VPY := $(VENV_311)/bin/python
BPY_45 := .venv-bpy-4.5/bin/python
BPY_53 := .venv-bpy-5.3/bin/python
WHEELHOUSE := $(WHEELHOUSE_311)

.PHONY: venv system-deps trixie wheels build test test-311 test-313 test-blender test-farm bench purge-memory lint demo \
	demo-core demo-extensions screenshot clean corpus-table stress
.SECONDEXPANSION:

# ---- per Python: dev venv, wheelhouse, host numpy -------------------------------
$(VENV_311)/.stamp: requirements-dev.txt
	$(PYTHON_311) -m venv $(VENV_311)
	$(VENV_311)/bin/python -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@

$(VENV_313)/.stamp: requirements-dev.txt
	$(PYTHON_313) -m venv $(VENV_313)
	$(VENV_313)/bin/python -m pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@

venv: $(VENV_311)/.stamp

# The CI workflow's validators (check-jsonschema, actionlint), apart from the dev venvs.
.venv-tools/.stamp: requirements/workflow-tools.txt
	$(PYTHON_311) -m venv .venv-tools
	.venv-tools/bin/python -m pip install --disable-pip-version-check -q \
		-r requirements/workflow-tools.txt
	touch $@

wheelhouse/cp%/.stamp: scripts/test-wheels.txt scripts/fetch_wheels.sh \
		scripts/build_fixture_wheels.py tests/corpus/sets-cp%.txt \
		scripts/fetch_corpus_wheels.sh | $$(VENV_$$*)/.stamp
	PYTHON=$(VENV_$*)/bin/python WHEELHOUSE=wheelhouse/cp$* sh scripts/fetch_wheels.sh \
		scripts/test-wheels.txt
	PYTHON=$(VENV_$*)/bin/python WHEELHOUSE=wheelhouse/cp$* SETS=tests/corpus/sets-cp$*.txt \
		sh scripts/fetch_corpus_wheels.sh
	$(VENV_$*)/bin/python scripts/build_fixture_wheels.py wheelhouse/cp$*
	touch $@

wheels: $(WHEELHOUSE_311)/.stamp wheelhouse/uv/.stamp

# uv's own wheels, one per platform Blender supports: the per-platform extension zips
# carry them; tests and demos install with the binary of this machine's.
wheelhouse/uv/.stamp: scripts/fetch_uv.sh requirements/uv.txt | $(VENV_311)/.stamp
	PYTHON=$(VPY) UV_WHEELS=wheelhouse/uv sh scripts/fetch_uv.sh
	touch $@

$(VENV_311)/.host-numpy: $(WHEELHOUSE_311)/.stamp
	$(VENV_311)/bin/python -m pip install --disable-pip-version-check -q --no-index \
		--find-links $(WHEELHOUSE_311) $(HOST_NUMPY_311)
	touch $@

$(VENV_313)/.host-numpy: $(WHEELHOUSE_313)/.stamp
	$(VENV_313)/bin/python -m pip install --disable-pip-version-check -q --no-index \
		--find-links $(WHEELHOUSE_313) $(HOST_NUMPY_313)
	touch $@

# ---- per Blender: bpy (Blender as a Python module, ~400 MB) in a venv of its own --
.venv-bpy-%/.stamp: requirements/bpy-%.txt
	$(PYTHON_$(PYV_$*)) -m venv .venv-bpy-$*
	.venv-bpy-$*/bin/python -m pip install --disable-pip-version-check -q -r requirements/bpy-$*.txt
	touch $@

system-deps:
	sh scripts/install_system_deps.sh

build: .venv-bpy-4.5/.stamp wheelhouse/uv/.stamp
	$(BPY_45) scripts/build.py --out dist

# ---- tests ----------------------------------------------------------------------
# Everything: lint and mypy under both Pythons; the whole suite under 3.11 with
# Blender 4.5 and Debian's blender binary, then under 3.13 with Blender 5.3.
test: lint test-311 test-313

# (Debian's 3.4 binary embeds Python 3.11: its test runs in the 3.11 pass; trixie's 4.3
# binary embeds 3.13: its event-loop test runs in the 3.13 pass.)
test-311: $(VENV_311)/.host-numpy .venv-bpy-4.5/.stamp .venv-tools/.stamp wheelhouse/uv/.stamp \
		system-deps
	IIENV_WHEELHOUSE=$(abspath $(WHEELHOUSE_311)) IIENV_BPY_PYTHON=$(abspath $(BPY_45)) \
		IIENV_TOOLS=$(abspath .venv-tools/bin) \
		$(VENV_311)/bin/python -m pytest --ignore=tests/trixie

test-313: $(VENV_313)/.host-numpy .venv-bpy-5.3/.stamp .venv-tools/.stamp wheelhouse/uv/.stamp \
		trixie
	IIENV_WHEELHOUSE=$(abspath $(WHEELHOUSE_313)) IIENV_BPY_PYTHON=$(abspath $(BPY_53)) \
		IIENV_TOOLS=$(abspath .venv-tools/bin) \
		$(VENV_313)/bin/python -m pytest --ignore=tests/blender/test_binary.py

# Debian trixie's blender 4.3.2 (Python 3.13) in a chroot, made once with debootstrap and
# kept in IIENV_TRIXIE (default /var/cache/iienv/trixie), outside the checkout.
trixie:
	sh scripts/trixie_chroot.sh >/dev/null

# The Blender suite against one Blender: make test-blender BLENDER=4.2|4.3|4.5|5.0|5.3
# (4.3 is the trixie binary and its real event loop; the others Blender as a module).
ifeq ($(BLENDER),4.3)
test-blender: $(VENV_313)/.host-numpy trixie
	IIENV_WHEELHOUSE=$(abspath $(WHEELHOUSE_313)) $(VENV_313)/bin/python -m pytest tests/trixie
else
test-blender: $$(VENV_$$(PYV))/.host-numpy .venv-bpy-$(BLENDER)/.stamp
	IIENV_WHEELHOUSE=$(abspath $(WHEELHOUSE_$(PYV))) \
		IIENV_BPY_PYTHON=$(abspath .venv-bpy-$(BLENDER)/bin/python) \
		$(VENV_$(PYV))/bin/python -m pytest tests/blender --ignore=tests/blender/test_binary.py
endif

# Render farms: `blender -c iienv` export -> offline install -> verify in trixie's 4.3 binary
# (make test runs it in its 3.13 pass, with the other tests/trixie tests).
test-farm: $(VENV_313)/.host-numpy trixie
	IIENV_WHEELHOUSE=$(abspath $(WHEELHOUSE_313)) $(VENV_313)/bin/python -m pytest \
		tests/trixie/test_farm.py tests/unit/test_export.py tests/unit/test_integrity.py

# The long fault runs: 50 SIGKILLs per operation, 4 processes x 40 rounds (CI runs fewer).
stress: $(VENV_311)/.host-numpy
	IIENV_WHEELHOUSE=$(abspath $(WHEELHOUSE)) IIENV_KILL_TRIALS=50 IIENV_STRESS_WORKERS=4 \
		IIENV_STRESS_ROUNDS=40 $(VPY) -m pytest -q tests/unit/test_kills.py \
		tests/unit/test_stress.py tests/unit/test_processes.py

bench: $(VENV_311)/.host-numpy .venv-bpy-4.5/.stamp wheelhouse/uv/.stamp
	IIENV_WHEELHOUSE=$(abspath $(WHEELHOUSE)) IIENV_BPY_PYTHON=$(abspath $(BPY_45)) \
		$(VPY) scripts/bench.py

# What a purge + re-import cycle keeps: RSS slope and tracemalloc's growth by line.
purge-memory: $(VENV_311)/.host-numpy
	IIENV_WHEELHOUSE=$(abspath $(WHEELHOUSE)) $(VPY) scripts/purge_memory.py

# The README's compatibility table, from the corpus outcomes the last `make test` wrote in build/.
corpus-table: venv
	$(VPY) scripts/corpus_table.py

lint: $(VENV_311)/.stamp $(VENV_313)/.stamp
	$(VPY) -m ruff check .
	$(VPY) -m ruff format --check .
	$(VPY) -m mypy
	$(VENV_313)/bin/python -m mypy --python-version 3.13

# ---- demos ----------------------------------------------------------------------
# The main job: two add-ons with conflicting numpy in one real Blender, then purge and
# reinstall. make demo BLENDER=5.3 runs it in Blender 5.3 (Python 3.13).
demo: .venv-bpy-$(BLENDER)/.stamp $$(WHEELHOUSE_$$(PYV))/.stamp wheelhouse/uv/.stamp
	IIENV_WHEELHOUSE=$(abspath $(WHEELHOUSE_$(PYV))) .venv-bpy-$(BLENDER)/bin/python \
		scripts/demo_blender.py

# Two extensions bundling different numpy/six wheels: what each gets without and with
# iienv, after an update and an uninstall. make demo-extensions BLENDER=5.3 for Blender 5.3.
demo-extensions: .venv-bpy-$(BLENDER)/.stamp $$(WHEELHOUSE_$$(PYV))/.stamp
	IIENV_WHEELHOUSE=$(abspath $(WHEELHOUSE_$(PYV))) .venv-bpy-$(BLENDER)/bin/python \
		scripts/demo_extensions.py

# docs/preferences.png from a real Blender 4.3 window (trixie's binary under Xvfb).
screenshot: trixie $(WHEELHOUSE_313)/.stamp
	IIENV_WHEELHOUSE=$(abspath $(WHEELHOUSE_313)) sh scripts/screenshot.sh

# The same story with the engine alone, in plain Python.
demo-core: $(VENV_311)/.host-numpy
	IIENV_WHEELHOUSE=$(abspath $(WHEELHOUSE)) $(VPY) scripts/demo_core.py

clean:
	rm -rf $(VENV_311) $(VENV_313) .venv-bpy-* .venv-tools wheelhouse build dist
