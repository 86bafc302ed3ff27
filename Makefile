# Two commands do all the set-up: `make run` and `make test`.
VENV := .venv
PYTHON := $(VENV)/bin/python
PYTEST := $(VENV)/bin/pytest
UV := .tools/bin/uv

.PHONY: run test check lint typecheck openapi openapi-check install bench clean

$(UV):
	python3 -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv

$(VENV)/.installed: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --all-extras
	touch $@

install: $(VENV)/.installed

run: install
	$(PYTHON) -m app.cli dev

test: install lint typecheck $(if $(wildcard mk/deploy.mk),lint-docker)
	$(PYTEST) -q

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

typecheck: install
	$(VENV)/bin/mypy app

openapi: install
	$(PYTHON) -m app.cli export-openapi

clean:
	rm -rf .data .pytest_cache .mypy_cache .ruff_cache

# Stops every embedded PostgreSQL left running under DATA_DIR (when given: only there; else
# under .data and the configured DATA_DIR) by a
# crash of `make run` or of the tests, or kept with KEEP_EMBEDDED_POSTGRES=true.
.PHONY: stop
stop: install
	$(PYTHON) -m app.cli stop-embedded $(DATA_DIR)

# A token from `make run`'s local development issuer: make -s dev-token ROLE=team_leader
.PHONY: dev-token
dev-token: install
	$(PYTHON) -m app.cli dev-token $(if $(ROLE),--role $(ROLE))

include $(wildcard mk/*.mk)

# The spec's own checks (package.json pins the tools): Redocly's recommended rules
# (redocly.yaml), then the generated-client test in tests/clients uses the same install.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

lint-spec: node_modules/.installed
	node_modules/.bin/redocly lint openapi/openapi.json --config redocly.yaml

test: lint-spec
.PHONY: lint-spec
