# Two commands for a fresh clone: `make run` (default scenario) and `make test`.
# Both create .venv with a Python >= 3.12 found on this machine (PYTHON=... to choose one);
# `make run` installs what running needs, `make test` adds the development extras.
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint docs clean

run: $(VENV)/.core
	$(BIN)/cdsim run $(ARGS)

test: $(VENV)/.dev
	$(BIN)/python -m pytest $(ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check sim tests examples benchmarks app.py && $(BIN)/ruff format --check sim tests examples benchmarks app.py

# the documentation site (mkdocs.yml) into site/: open site/index.html
docs: $(VENV)/.dev
	NO_MKDOCS_2_WARNING=1 $(BIN)/python -m mkdocs build --strict --site-dir site

$(VENV)/bin/python:
	@py=$$(sh .ci/find-python) || exit 1; \
	  echo "Using $$py ($$($$py --version))"; \
	  $$py -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# the package alone (a development install already has it)
$(VENV)/.core: pyproject.toml | $(VENV)/bin/python
	@if [ -f $(VENV)/.dev ] && [ $(VENV)/.dev -nt pyproject.toml ]; then :; \
	  else $(BIN)/python -m pip install --quiet -e .; fi
	@touch $@

# the package with every extra the tests need
$(VENV)/.dev: pyproject.toml | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.core

clean:
	rm -rf $(VENV) results
