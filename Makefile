# Two commands for a fresh machine (each bootstraps .venv with Python >= 3.12 first):
#   make run    runs the main job: the Verkassen relocation options compared
#   make test   runs the test suite
.PHONY: run run-all test test-slow venv

venv:
	@scripts/bootstrap.sh

run: venv
	@scripts/run-examples.sh

run-all: venv
	@scripts/run-examples.sh --all

test: venv
	@.venv/bin/python -m pytest -q

test-slow: venv
	@.venv/bin/python -m pytest -q -m slow
