# Two commands for a fresh clone: `make run` (default scenario) and `make test`.
# Both create .venv with a Python >= 3.12 found on this machine (PYTHON=... to choose one).
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint clean

run: $(VENV)/.installed
	$(BIN)/cdsim run $(ARGS)

test: $(VENV)/.installed
	$(BIN)/python -m pytest $(ARGS)

lint: $(VENV)/.installed
	$(BIN)/ruff check sim tests examples benchmarks app.py && $(BIN)/ruff format --check sim tests examples benchmarks app.py

$(VENV)/.installed: pyproject.toml
	@py=$$(sh .ci/find-python) || exit 1; \
	  echo "Using $$py ($$($$py --version))"; \
	  [ -x $(BIN)/python ] || $$py -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

clean:
	rm -rf $(VENV) results
