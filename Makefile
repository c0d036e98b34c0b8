# voclens: `make demo` runs the demo on the embedded backend; `make test` runs the test suite.
# .venv gets the runtime plus the extras `dev` (tests) and `train` (torch, transformers); the demo
# itself needs only the runtime (`pip install .`).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test test-fast test-cluster bench bench-backends bench-bulk bench-scale bench-workers bench-crawl eval clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev,train]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/voclens demo

test: $(STAMP)
	-@scripts/es-node fetch >/dev/null  # Elasticsearch for the contract suite (cached; tests start the node)
	$(BIN)/python -m pytest --durations=30  # the 30 slowest tests: the suite must stay well inside CI's hour

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

# three Elasticsearch nodes, a node killed mid-ingest (tests/index/test_es_cluster.py; several minutes)
test-cluster: $(STAMP)
	scripts/es-node fetch >/dev/null
	VOCLENS_TEST_CLUSTER=1 $(BIN)/python -m pytest -m cluster -s tests/index/test_es_cluster.py

bench-bulk: $(STAMP)
	$(BIN)/python bench/bench_bulk_ingest.py

bench-scale: $(STAMP)
	$(BIN)/python bench/bench_scale.py

bench-workers: $(STAMP)
	$(BIN)/python bench/bench_workers.py

bench: $(STAMP)
	$(BIN)/python bench/bench_embedded.py

bench-backends: $(STAMP)
	$(BIN)/python bench/bench_backends.py

bench-crawl: $(STAMP)
	$(BIN)/python bench/bench_crawl.py

eval: $(STAMP)
	$(BIN)/python bench/eval_baseline.py

clean:
	rm -rf $(VENV) voclens-data .pytest_cache
