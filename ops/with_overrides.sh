#!/bin/sh
# Run a program with optional runtime overrides: if var/run/overrides/<name>.env exists,
# its KEY=VALUE lines are exported first. Benchmarks and drills use this to restart one
# program with another setting (e.g. CACHE_ENABLED=false for experience-api, a higher
# RATE_LIMIT_AUTH for HAProxy) without touching the rest of the stack.
name="$1"; shift
overrides="${VAR_DIR:?}/run/overrides/${name}.env"
if [ -f "$overrides" ]; then
  set -a
  . "$overrides"
  set +a
fi
exec "$@"
