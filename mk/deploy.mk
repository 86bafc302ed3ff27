# Deployment packaging targets, included from the top-level Makefile:
#
#   include mk/deploy.mk
#
# Expects the including Makefile to define VENV (e.g. .venv) and PYTEST
# (e.g. $(VENV)/bin/pytest); defaults are given here for standalone use.

VENV ?= .venv
PYTEST ?= $(VENV)/bin/pytest
HADOLINT ?= $(VENV)/bin/hadolint

.PHONY: lint-docker helm-test

## lint-docker: hadolint the Dockerfile; warnings fail the build
lint-docker:
	$(HADOLINT) --failure-threshold warning Dockerfile

## helm-test: lint and render the Helm chart, validate manifests and values, check the Dockerfile
helm-test:
	$(PYTEST) tests/deploy -q
