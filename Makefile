# Two entry points for a fresh machine: `make run` (the app on the default local session) and `make test`.
.PHONY: setup run test lint typecheck check-playbooks bench

UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)

setup:
	@command -v uv >/dev/null 2>&1 || [ -x "$(UV)" ] || python3 -m pip install --user --quiet uv
	@scripts/setup-system
	@$(UV) sync --frozen --quiet

run: setup
	.venv/bin/scaletui

test: setup
	scripts/run-tests

lint:
	.venv/bin/ruff check scaletui tests benchmarks
	.venv/bin/ruff format --check scaletui tests benchmarks

typecheck:
	.venv/bin/mypy scaletui

check-playbooks: setup
	scripts/check-playbooks

bench: setup
	.venv/bin/python benchmarks/startup.py
