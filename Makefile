# A thin index of commands over ops/ (see README.md). Everything binds to 127.0.0.1.
SHELL := /bin/bash
PY := .venv/bin/python
STACK := $(PY) ops/stack.py

.PHONY: help install up infra down status logs test test-unit test-integration test-selenium lint format bench bench-api bench-search bench-pages bench-alerts clean

help:  ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

install:  ## install system packages (root), .venv and npm engines, idempotently
	@bash ops/install.sh

up: install  ## start the whole stack on 127.0.0.1 and print the URL
	@$(STACK) up

infra: install  ## start only the engines (PostgreSQL, Redis, Kafka, Elasticsearch)
	@$(STACK) infra

down:  ## stop everything the stack started
	@$(STACK) down

status:  ## supervisor status and HAProxy backend states
	@$(STACK) status

logs:  ## follow every log of the stack
	@tail -n 20 -F var/log/*.log

test: up  ## run every test suite (starts the stack first)
	@bash ops/run_tests.sh all

test-unit: infra  ## only the per-service suites (engines needed, services not)
	@bash ops/run_tests.sh unit

test-integration: up  ## only the tests against the running stack
	@bash ops/run_tests.sh integration

lint:  ## ruff over the whole repository
	@.venv/bin/ruff check . && .venv/bin/ruff format --check .

format:
	@.venv/bin/ruff format . && .venv/bin/ruff check --fix .

bench: up  ## JMeter scaling runs + API benchmarks (loopback only, bounded)
	@bash ops/run_bench.sh all

bench-api: up  ## models-api benchmark
	@bash ops/run_bench.sh api

bench-search: up  ## engines: uncached search via HAProxy, freshness, indexer, start-up, memory
	@bash ops/run_bench.sh search

bench-alerts: up  ## saved-search alert latency: listing created -> email delivered (p95 of 20)
	@bash ops/run_bench.sh alerts

bench-pages: up  ## pages (anonymous, logged in) side by side with /healthz through HAProxy (wrk)
	@bash ops/run_bench.sh pages

clean: down  ## stop the stack and delete its data and logs
	rm -rf var
