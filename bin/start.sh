#!/bin/sh
# Starts the compiled server as production runs it (npm start, the Docker CMD, the benchmarks): from
# the V8 start-up snapshot that `npm run build` made (tools/build-snapshot.ts) when this very Node, on
# this platform and in this folder, made it, else from dist/server.js. Node refuses a blob another
# version built, so the stamp is checked first. `exec`: node replaces the shell, and SIGTERM and SIGHUP
# reach the server. SNAPSHOT_DIR= (empty) starts without the snapshot, and so does LOG_PRETTY.
#   bin/start.sh            start the server
#   bin/start.sh --stamp    print what a snapshot built here must match
app="$(cd "$(dirname "$0")/.." && pwd -P)"
stamp="$(node --version) $(uname -sm) $app"
if [ "${1:-}" = --stamp ]; then echo "$stamp"; exit 0; fi
# The same flags as tools/server-command.ts SERVER_NODE_ARGS, which says why each (a test compares them).
set -- --expose-gc --no-maglev --max-semi-space-size=1 --max-old-space-size=128 --optimize-for-size
snapshot="${SNAPSHOT_DIR-$app/dist/snapshot}"
# pino-pretty runs in a worker thread, and a worker crashes Node 22-24 in a process started from a snapshot.
case "${LOG_PRETTY:-false}" in false|0|'') ;; *) snapshot= ;; esac
if [ -n "$snapshot" ] && [ -f "$snapshot/server.blob" ] && [ "$(cat "$snapshot/stamp" 2>/dev/null)" = "$stamp" ]; then
  exec node "$@" --snapshot-blob "$snapshot/server.blob"
fi
exec node "$@" "$app/dist/server.js"
