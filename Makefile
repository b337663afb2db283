# Two commands matter: `make report` and `make test`. Both create .venv on first use.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
#: pytest workers for make test (pytest-xdist): one a core
TEST_WORKERS ?= auto
BIN := $(VENV)/bin
#: The date the committed notebooks judge the age of their sources on (their "older than a year"
#: warnings): make notebooks stores outputs as of this date and nbval compares them as of it.
NOTEBOOK_RUN_DATE := 2026-12-07
STAMP := $(VENV)/.installed

.PHONY: report test lab dashboard lint bench notebooks clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,dask]'
	touch $(STAMP)

report: $(STAMP)  ## run every shipped scenario of every model and build outputs/index.html
	$(BIN)/aibm run
	@echo "Report index: $(CURDIR)/outputs/index.html"

test: $(STAMP)  ## lint, unit/property tests, notebooks (nbval), CLI end to end, browser
	$(BIN)/ruff check aibm_core tests benchmarks notebooks
	@# Whole test files per worker (the browser and seed-batch tests on one), longest first:
	@# tests/conftest.py. Then the notebooks (nbval), once: the stored outputs come from numpy's
	@# native SIMD paths (make notebooks), and are compared here with numpy restricted to its
	@# baseline kernels, so that they cannot depend on the CPU.
	$(BIN)/python -m pytest tests -n $(TEST_WORKERS) --dist loadgroup --no-loadscope-reorder
	AIBM_RUN_DATE=$(NOTEBOOK_RUN_DATE) NPY_DISABLE_CPU_FEATURES="$$($(BIN)/python tests/numpy_dispatch.py)" \
		$(BIN)/python -m pytest notebooks -q -n $(TEST_WORKERS) --dist loadfile

lab: $(STAMP)  ## JupyterLab on the notebooks: trusted, charts live, no outside requests (root too)
	$(BIN)/python -m aibm_core.present.dashboard lab notebooks

dashboard: $(STAMP)  ## the notebooks as Voila dashboards (code hidden, sliders live)
	$(BIN)/aibm dashboard

bench: $(STAMP)  ## print speed figures (installs the bench extra: squigglepy, for comparison)
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,dask,bench]'
	$(BIN)/python benchmarks/bench.py --batch
	$(BIN)/python benchmarks/monte_carlo.py
	$(BIN)/python benchmarks/targets.py  # every target: value, target, met or missed

notebooks: $(STAMP)  ## re-execute the committed notebooks in place (refreshes the outputs nbval compares)
	$(BIN)/python -m aibm_core.present.notebook  # parameters cells = the base scenario of each schema
	for nb in notebooks/*.ipynb; do \
		AIBM_RUN_DATE=$(NOTEBOOK_RUN_DATE) $(BIN)/jupyter nbconvert --to notebook --execute --inplace $$nb || exit 1; done
	$(BIN)/python -m aibm_core.present.stored_outputs notebooks/*.ipynb  # no widget state, no SVG copies

clean:
	rm -rf outputs/*/ outputs/index.html .pytest_cache .hypothesis
