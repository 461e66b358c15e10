# Two commands do everything on a fresh machine: `make lab` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Quiet TensorFlow's C++ start-up chatter in notebooks and tests.
export TF_CPP_MIN_LOG_LEVEL ?= 3
export PYTHONHASHSEED ?= 0

.PHONY: setup assets lab test bench clean-cache grade notebooks

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e .
	touch $(STAMP)

## setup: create .venv if missing, install everything, prepare the offline assets
setup: $(STAMP) assets

assets: $(STAMP)
	$(BIN)/python -m course_utils assets --prefetch

## lab: open the course in JupyterLab
lab: setup
	$(BIN)/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root)

## test: unit tests plus nbval over every notebook in notebooks/ and solutions/
test: setup
	$(BIN)/python -m pytest

## notebooks: re-execute every chapter from its .py source and save it with outputs (CHAPTERS="03" for one)
notebooks: setup
	$(BIN)/python -m course_utils notebooks $(or $(CHAPTERS),--all)

bench: setup
	for b in bench/*.py; do $(BIN)/python $$b || exit 1; done

## grade: grade every student notebook in SUBMISSIONS=<folder>; grades.csv + summary.md go to grading_reports/
grade: setup
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=<folder of student notebooks>"; exit 2; }
	$(BIN)/python -m course_utils.grading "$(SUBMISSIONS)" --out grading_reports

clean-cache:
	rm -rf .cache/assets
