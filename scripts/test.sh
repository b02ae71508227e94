#!/usr/bin/env bash
# Install tracker with its dev extras and run the whole test suite (arguments go to pytest).
source "$(dirname "$0")/_venv.sh"
install_into_venv ".[dev]"
exec .venv/bin/python -m pytest "$@"
