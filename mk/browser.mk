# The browser test of /docs (tests/api/test_docs_browser.py) drives Debian's Chromium with
# Playwright: Playwright cannot download a browser of its own here, and Debian's is what the
# machines can install. Installed when missing, as root, without questions; once there this
# costs a `command -v`. Without root or sudo it stops and says how, rather than letting the
# browser test skip unnoticed.
CHROMIUM ?= /usr/bin/chromium

.PHONY: browser

browser:
	@test -x $(CHROMIUM) || { \
	  echo "Chromium is missing (the /docs browser test needs it): installing it with apt-get"; \
	  if [ "$$(id -u)" -eq 0 ]; then SUDO=; \
	  elif command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; \
	  else echo "install Chromium as root: apt-get install -y chromium" >&2; exit 1; fi; \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium; \
	}

test: browser
