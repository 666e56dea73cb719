#!/usr/bin/env bash
# npm start: install what is missing, build, and run the whole platform on embedded defaults.
set -euo pipefail
source "$(dirname "$0")/setup.sh"
node dist/scripts/ensure-temporal.js >/dev/null
exec node dist/scripts/start.js
