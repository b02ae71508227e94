#!/usr/bin/env bash
# Install tracker with its dev extras and run the whole test suite (arguments go to pytest).
# Runs in parallel on every core (pytest-xdist); TRACKER_TEST_WORKERS=0 runs in one process.
source "$(dirname "$0")/_venv.sh"
install_into_venv ".[dev]"
exec .venv/bin/python -m pytest -n "${TRACKER_TEST_WORKERS:-auto}" "$@"
