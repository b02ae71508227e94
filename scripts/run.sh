#!/usr/bin/env bash
# Install, create ./tracker.db with the seed article and claims, start the dashboard
# with the background worker beside it (stored matches, link re-checks); stopping the
# dashboard (Ctrl+C) stops the worker too.
source "$(dirname "$0")/_venv.sh"
install_into_venv .
.venv/bin/tracker init
.venv/bin/tracker seed
.venv/bin/tracker users demo
.venv/bin/tracker worker &
worker=$!
trap 'kill -TERM "$worker" 2>/dev/null; wait "$worker"' EXIT
.venv/bin/tracker dashboard "$@"
