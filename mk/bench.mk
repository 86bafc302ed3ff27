# `make bench`: the benchmark harness (bench/README.md). Included by the Makefile, which
# defines VENV; the default lets `make -f mk/bench.mk bench` work on its own too.
VENV ?= .venv

.PHONY: bench bench-wrk

# `install` (the venv) comes from the Makefile; left out when this file runs on its own.
bench: bench-wrk $(if $(UV),install)
	$(VENV)/bin/python -m bench.run

# wrk comes from Debian (wrk2 is not packaged): installed when missing, as root, without
# questions.
bench-wrk:
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "wrk is missing: installing it with apt-get"; \
	  if [ "$$(id -u)" -eq 0 ]; then SUDO=; \
	  elif command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; \
	  else echo "install wrk as root: apt-get install -y wrk" >&2; exit 1; fi; \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk; \
	}
