.PHONY: setup sample test lint bench
setup:
	python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]'
sample:
	.venv/bin/matcher run --out out/sample-2023 --force
test:
	.venv/bin/pytest
lint:
	.venv/bin/ruff check matcher tests bench && .venv/bin/ruff format --check matcher bench && .venv/bin/mypy
bench:
	.venv/bin/python bench/bench_ingest.py
