# Sourced by scripts/start.sh and scripts/test.sh: makes a fresh clone runnable.
# Installs npm packages (better-sqlite3 is compiled from source against the local Node headers
# when no prebuilt binary can be downloaded), a CJK font for layout files, then builds.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

need_node="20.19.0"
have_node="$(node -p 'process.versions.node' 2>/dev/null || echo 0)"
if [ "$(printf '%s\n%s\n' "$need_node" "$have_node" | sort -V | head -1)" != "$need_node" ]; then
  echo "medbill needs Node >= $need_node (found $have_node)" >&2
  exit 1
fi

# node-gyp builds native modules offline against these headers instead of downloading them.
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node.h ]; then export npm_config_nodedir=/usr; fi

stamp=node_modules/.medbill-install-stamp
if [ ! -f "$stamp" ] || [ package.json -nt "$stamp" ] || { [ -f package-lock.json ] && [ package-lock.json -nt "$stamp" ]; }; then
  echo "==> installing npm packages"
  # `npm install` honours package-lock.json; `npm ci` refuses a lock whose foreign-platform optional
  # packages (e.g. @swc/core-darwin-arm64) a registry mirror does not serve.
  npm install --no-audit --no-fund
  touch "$stamp"
fi

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi; }
apt_install() {
  command -v apt-get >/dev/null || return 1
  as_root apt-get install -y -q "$@" >/dev/null 2>&1 || { as_root apt-get update -q >/dev/null 2>&1 && as_root apt-get install -y -q "$@" >/dev/null 2>&1; }
}

if [ -z "${MEDBILL_FONT:-}" ] && [ ! -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ]; then
  echo "==> installing a CJK font for layout files (fonts-wqy-microhei)"
  apt_install fonts-wqy-microhei || echo "warning: could not install fonts-wqy-microhei; set MEDBILL_FONT to a CJK TrueType font" >&2
fi

echo "==> building (tsc, console)"
npx tsc -p tsconfig.json
node dist/scripts/bundle-workflows.js >/dev/null
if [ ! -f web/dist/index.html ] || [ -n "$(find web/src web/index.html web/vite.config.ts domain -newer web/dist/index.html 2>/dev/null | head -1)" ]; then
  npx vite build --config web/vite.config.ts --logLevel warn
fi
