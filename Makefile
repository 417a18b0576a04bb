# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
OUT ?= out

.PHONY: venv demo test lint bench system-packages clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

venv: $(BIN)/.installed

## The main job on the bundled Plzeň data.
demo: venv
	mkdir -p $(OUT)
	$(BIN)/evac city info --site plzen
	$(BIN)/evac city map --site plzen --out $(OUT)/plzen_map.png
	@echo "Map of the bundled Plzeň site written to $(OUT)/plzen_map.png"
	$(BIN)/evac run baseline_egress --out $(OUT)/baseline_egress
	@echo "The 15,000-person match-day egress: $(OUT)/baseline_egress/summary.json"
	$(BIN)/evac rank ammonia_worst_case --out $(OUT)/rank_ammonia_worst_case
	@echo "Evacuation plans ranked for the worst-case ammonia leak: open $(OUT)/rank_ammonia_worst_case/report.html"

## Debian packages the tests need (installed only when missing).
system-packages:
	bash .ci/install-debian-packages.sh

## The whole test suite.
test: venv system-packages
	$(BIN)/python -m pytest

## Style and type checks.
lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## Speed and memory, side by side with JuPedSim (medians of 3 runs), the full match-day run, and
## the speed model's kernel alone on a frozen state.
bench: venv
	$(BIN)/python -m benchmarks.engine_vs_jupedsim
	$(BIN)/python -m benchmarks.match_day_run
	$(BIN)/python -m benchmarks.kernel_replay

clean:
	rm -rf $(VENV) $(OUT) .pytest_cache .mypy_cache .ruff_cache
