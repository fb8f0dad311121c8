#!/usr/bin/env bash
# Install what the report browser tests need, idempotently:
#   - Debian's chromium (used at /usr/bin/chromium) and Noto CJK fonts (Korean glyphs),
#   - Playwright for Python in .venv (the Python driver only: we never run
#     `playwright install`, which downloads its own browser and cannot work offline).
# apt-get update runs only when a package is missing. Not root: says what it skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
PIP=.venv/bin/pip

missing=()
dpkg -s chromium >/dev/null 2>&1 || missing+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing+=(fonts-noto-cjk)

if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ]; then
        echo "install-browser-deps: installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q
        apt-get install -y -q chromium fonts-noto-cjk
    else
        echo "install-browser-deps: not root; skipped apt-get install of ${missing[*]}" >&2
    fi
fi

if [ -x "$PY" ]; then
    if ! "$PY" -c "import playwright" >/dev/null 2>&1; then
        echo "install-browser-deps: pip install playwright"
        "$PIP" install -q playwright
    fi
else
    echo "install-browser-deps: no $PY yet; run 'make setup' first" >&2
fi
