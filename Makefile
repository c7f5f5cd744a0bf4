# Two commands for a fresh machine (each bootstraps .venv with Python >= 3.12 first):
#   make run    runs the example scenarios
#   make test   runs the test suite
.PHONY: run test test-slow venv

venv:
	@scripts/bootstrap.sh

run: venv
	@scripts/run-examples.sh

test: venv
	@.venv/bin/python -m pytest -q

test-slow: venv
	@.venv/bin/python -m pytest -q -m slow
