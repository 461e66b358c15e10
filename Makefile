# Two commands do everything on a fresh machine: `make lab` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Quiet TensorFlow's C++ start-up chatter in notebooks and tests.
export TF_CPP_MIN_LOG_LEVEL ?= 3
export PYTHONHASHSEED ?= 0

.PHONY: setup assets lab test test-portable test-browser bench clean-cache grade notebooks

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e .
	touch $(STAMP)

## setup: create .venv if missing, install everything, prepare the offline assets
setup: $(STAMP) assets

assets: $(STAMP)
	$(BIN)/python -m course_utils assets --prefetch

## lab: open the course in JupyterLab on its start page (and make saves keep widget state)
lab: setup
	$(BIN)/python -m course_utils.notebooks lab-settings
	$(BIN)/jupyter lab notebooks/00_start_here.ipynb $(if $(filter 0,$(shell id -u)),--allow-root)

## test: unit tests plus nbval over every notebook in notebooks/ and solutions/
## (TEST_WORKERS=1 for one process; each module or notebook stays on one worker, in order)
TEST_WORKERS ?= 2
test: setup
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope --durations=15

## test-portable: nbval over every notebook once per CPU setting the saved outputs must hold on
## (the default, oneDNN capped at AVX2 / AVX-512 where the CPU has more, AVX, and oneDNN off); 4-7 min each
test-portable: setup
	bash tests/portable.sh $(BIN)/python -n $(TEST_WORKERS) --dist loadscope

## test-browser: every chapter in JupyterLab + headless Chromium: run, move widgets, save, reopen
## (CHAPTERS="00 01" for some; needs /usr/bin/chromium or $$CHROMIUM)
test-browser: setup
	$(BIN)/python tests/browser/run_chapters.py $(CHAPTERS)

## notebooks: re-execute every chapter from its .py source and save it with outputs (CHAPTERS="03" for one)
notebooks: setup
	$(BIN)/python -m course_utils notebooks $(or $(CHAPTERS),--all)

bench: setup
	for b in bench/*.py; do $(BIN)/python $$b || exit 1; done

## grade: grade every student notebook in SUBMISSIONS=<folder>, each in its own sandbox (root or
## unprivileged user namespaces: util-linux unshare + setpriv); grades.csv + summary.md go to
## REPORTS=<folder> (default ~/course-grading-reports, never inside the checkout);
## SCHEDULER=tcp://host:8786 grades on that Dask cluster (one task per student); FORMAT=canvas|gradescope
grade: setup
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=<folder of student notebooks> [REPORTS=<folder>]"; exit 2; }
	@command -v unshare >/dev/null && command -v setpriv >/dev/null || { echo "make grade needs unshare and setpriv (Debian: apt-get install util-linux)"; exit 2; }
	$(BIN)/python -m course_utils.grading "$(SUBMISSIONS)" --out "$(or $(REPORTS),$(HOME)/course-grading-reports)" $(if $(SCHEDULER),--scheduler "$(SCHEDULER)") $(if $(FORMAT),--format "$(FORMAT)")

clean-cache:
	rm -rf .cache/assets
