#!/usr/bin/env bash
# Install, create ./tracker.db with the seed article and claims, start the dashboard.
source "$(dirname "$0")/_venv.sh"
install_into_venv .
.venv/bin/tracker init
.venv/bin/tracker seed
.venv/bin/tracker users demo
exec .venv/bin/tracker dashboard "$@"
