#!/usr/bin/env bash
# The gates: ruff (lint and format) and mypy on tracker/ and dashboard/. Exits non-zero on any finding.
source "$(dirname "$0")/_venv.sh"
if [ "${TRACKER_SKIP_INSTALL:-}" != "1" ]; then
  install_into_venv ".[dev]"
fi
.venv/bin/ruff check tracker dashboard tests benchmarks
.venv/bin/ruff format --check tracker dashboard tests benchmarks
.venv/bin/mypy tracker dashboard
echo "lint: ruff and mypy clean"
