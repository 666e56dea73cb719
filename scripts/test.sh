#!/usr/bin/env bash
# npm test: install what is missing (packages, Temporal CLI, Chromium), build, run every test.
# SQLite by default; MEDBILL_TEST_DB_URL=mysql://root@127.0.0.1:3306/medbill_test runs on MySQL/MariaDB.
set -euo pipefail
source "$(dirname "$0")/setup.sh"
echo "==> Temporal CLI: $(node dist/scripts/ensure-temporal.js)"
if [ -z "${MEDBILL_CHROMIUM:-}" ] && ! command -v chromium >/dev/null; then
  echo "==> installing Chromium for the console's browser tests"
  apt_install chromium || { echo "Chromium is required for the browser tests: apt-get install chromium, or set MEDBILL_CHROMIUM" >&2; exit 1; }
fi
if ! command -v zbarimg >/dev/null; then
  echo "==> installing zbar-tools: the QR test scans codes back with zbarimg"
  apt_install zbar-tools || { echo "zbarimg is required for the QR scan test: apt-get install zbar-tools" >&2; exit 1; }
fi
if ! command -v pdftoppm >/dev/null || ! command -v pdftotext >/dev/null; then
  echo "==> installing poppler-utils: the layout test reads bills back with pdftotext and rasterises them with pdftoppm"
  apt_install poppler-utils || { echo "pdftotext and pdftoppm are required for the layout test: apt-get install poppler-utils" >&2; exit 1; }
fi
if [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then
  echo "==> installing fonts-dejavu-core: the layout test checks that a latin-only font is refused"
  apt_install fonts-dejavu-core || { echo "DejaVuSans.ttf is required for the layout test: apt-get install fonts-dejavu-core" >&2; exit 1; }
fi
echo "==> house rules (layers, SQL only in orm/)"
npm run --silent lint
echo "==> jest on ${MEDBILL_TEST_DB_URL:-SQLite}"
mkdir -p test-results
set +e
npx jest --ci --json --outputFile=test-results/jest.json "$@"
rc=$?
set -e
node -e '
const r = require("./test-results/jest.json");
console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""));
' 2>/dev/null || true
exit $rc
