# The course's commands.  Each target creates .venv on first use and
# re-installs only when pyproject.toml changes.
#   make lab        set up and open the course in JupyterLab
#   make test       set up and run every check (what CI runs)
#   make exercises  regenerate exercises/ from solutions/
#   make student-edition  the course without solutions/ and hidden tests, in build/
#   make nbgrader-course  install nbgrader; write an nbgrader course directory
#   make gradescope one Gradescope autograder.zip per exercise, in build/gradescope/
#   make slides     build offline reveal.js lectures into build/slides/
#   make book       the course as an offline website in build/book/
#   make bench      speed of rnnlib against naive loops and PyTorch
#   make lint       ruff check + format check, notebooks included
#   make test-numerics  notebooks and gradient tests again under another rounding
#   make test-python PYTHON=python3.13 VENV=.venv-3.13  the course on another Python
#   make format     apply ruff format and strip notebook outputs

PYTHON ?= $(shell command -v python3.11 || command -v python3)
# another Python gets a venv of its own: make test-python PYTHON=... VENV=...
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
NB_FOLDERS := notebooks solutions exercises
NOTEBOOKS := $(wildcard $(addsuffix /*.ipynb,$(NB_FOLDERS)))
# folders that hold notebooks: an empty folder is left out, not an error
NB_TARGETS := $(sort $(dir $(NOTEBOOKS)))
# The course's matrices are small: BLAS threads cost more than they give
# (and make test already runs two pytest workers on two cores).
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
export MKL_NUM_THREADS ?= 1
# Jupyter refuses to run as root unless told; learners are not root
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: venv lab test test-numerics test-python student-edition nbgrader-course gradescope lint format exercises slides book bench versions clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,book]'
	@# git's notebook filter runs the course's own venv, not another Python's
	$(if $(filter .venv,$(VENV)),$(BIN)/python -m nbstripout --install 2>/dev/null || true)
	@touch $@

lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.root_dir=$(CURDIR) \
		--LabApp.default_url=/lab/tree/notebooks $(ALLOW_ROOT)

versions: $(STAMP)
	@$(BIN)/python -m coursekit.versions

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(if $(NOTEBOOKS),$(BIN)/nbstripout $(NOTEBOOKS))

# One pytest run: unit tests and every notebook folder (nbval). A notebook cell
# that hangs fails after 300 s, a test after 900 s (pyproject.toml), instead of
# stalling the run; pytest and all it starts read no stdin (< /dev/null).
test: $(STAMP) versions lint
	$(if $(NOTEBOOKS),$(BIN)/nbstripout --verify $(NOTEBOOKS),@echo "no notebooks to verify")
	@# the student edition has no solutions/ to check exercises/ against
	@if [ -d solutions ]; then $(BIN)/python -m coursekit.exercises --check; fi
	$(BIN)/python -m pytest -n 2 --dist loadscope \
		--nbval-lax --nbval-current-env --nbval-cell-timeout=300 \
		tests/ $(NB_TARGETS) < /dev/null; \
	$(NO_TEST_FAILS)

# after a pytest command: its exit status, where 5 (no test collected) fails too
NO_TEST_FAILS = status=$$?; \
	if [ $$status -eq 5 ]; then echo "pytest collected no test: that is a failure here"; fi; \
	exit $$status

# The course on another Python, in a venv of its own with what pip resolves for
# that Python (CI: the newest the README names), e.g.
#   make test-python PYTHON=python3.13 VENV=.venv-3.13
# The unit tests and the notebooks, whose trained claims depend on the NumPy
# and BLAS build; not the slides and the book, which test the tooling and which
# `make test` runs once.  The exercises are the solutions without their code.
test-python: $(STAMP) versions
	$(BIN)/python -m pytest -n 2 --dist loadscope \
		--nbval-lax --nbval-current-env --nbval-cell-timeout=300 \
		--ignore=tests/test_slides.py --ignore=tests/test_book.py \
		tests/ $(filter-out exercises/,$(NB_TARGETS)) < /dev/null; \
	$(NO_TEST_FAILS)

# The same notebooks and gradient checks under another rounding, as on an
# older CPU: OpenBLAS's Sandybridge kernels and NumPy without its AVX2 and
# AVX-512 loops (features this CPU lacks are ignored).  On AVX2 and AVX-512
# machines this changes the last bits of matrix products and of tanh.
OTHER_ROUNDING := OPENBLAS_CORETYPE=Sandybridge \
	NPY_DISABLE_CPU_FEATURES="X86_V3 X86_V4 AVX512_ICL AVX512_SPR"
# The exercises are the solutions without their code: the solutions suffice.
test-numerics: $(STAMP)
	$(OTHER_ROUNDING) $(BIN)/python -m coursekit.rounding \
		--differs-from $$($(BIN)/python -m coursekit.rounding)
	$(OTHER_ROUNDING) $(BIN)/python -m pytest -n 2 -p no:cacheprovider \
		tests/ -k "gradient or numerical" < /dev/null
	$(OTHER_ROUNDING) $(BIN)/python -m pytest -n 2 --dist loadscope -p no:cacheprovider \
		--nbval-lax --nbval-current-env --nbval-cell-timeout=300 \
		$(filter-out exercises/,$(NB_TARGETS)) < /dev/null

exercises: $(STAMP)
	$(BIN)/python -m coursekit.exercises

# A fresh copy each time: build/ holds only what make writes.
student-edition: $(STAMP)
	rm -rf build/student-edition
	$(BIN)/python -m coursekit.publishing.student_edition build/student-edition

# The nbgrader course directory will hold submissions and grades: class data,
# kept outside the course repository (default: beside the checkout).
# e.g. make nbgrader-course NBGRADER_DIR=~/rnn-course NBGRADER_ARGS="--cell-timeout 120"
NBGRADER_DIR ?= ../rnn-course-nbgrader
NBGRADER_ARGS ?=
nbgrader-course: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[nbgrader]'
	$(BIN)/python -m coursekit.nbgrader_course $(NBGRADER_DIR) $(NBGRADER_ARGS)

# Private, like solutions/: each zip holds its exercise's hidden tests.
gradescope: $(STAMP)
	rm -rf build/gradescope
	$(BIN)/python -m coursekit.gradescope build/gradescope

# e.g. make slides SLIDES_ARGS="--no-execute" or SLIDES_ARGS="notebooks/02_*.ipynb"
SLIDES_ARGS ?=
slides: $(STAMP)
	$(BIN)/python -m coursekit.publishing.slides $(SLIDES_ARGS)

# e.g. make book BOOK_ARGS="--help"
BOOK_ARGS ?=
# the course as an offline website: open build/book/index.html
book: $(STAMP)
	$(BIN)/python -m coursekit.publishing.book $(BOOK_ARGS)

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_rnn.py
	$(BIN)/python benchmarks/bench_lstm.py
	$(BIN)/python benchmarks/bench_gru.py

clean:
	rm -rf build .pytest_cache
