#!/usr/bin/env bash
# Installs what the full benchmark needs, idempotently and quietly when it is there:
#   Debian packages: linux-source-6.1 (the corpora), hyperfine, redis-server/tools,
#                    nodejs + npm (only when no node is installed), xz-utils.
#   npm packages:    the exact versions in bench/peers/package.json, into bench/node_modules.
# Usage: bench/lib/install.sh [--apt-only|--npm-only]
set -euo pipefail
. "$(dirname "$0")/common.sh"

want_apt=1 want_npm=1
case "${1:-}" in
  --apt-only) want_npm=0 ;;
  --npm-only) want_apt=0 ;;
esac

if [ "$want_apt" = 1 ]; then
  pkgs=(linux-source-6.1 hyperfine redis-server redis-tools xz-utils)
  # A node from another source (for example nodesource) already ships npm; Debian's
  # npm package would conflict with it, so only a machine without node gets both.
  command -v node >/dev/null || pkgs+=(nodejs npm)
  command -v node >/dev/null && ! command -v npm >/dev/null && pkgs+=(npm)
  missing=()
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    al_log "apt: installing ${missing[*]}"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

if [ "$want_npm" = 1 ]; then
  pj="$AL_BENCH_DIR/peers/package.json"
  stamp="$AL_BENCH_DIR/node_modules/.auralith-bench-stamp"
  sum="$(sha256sum "$pj" | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$sum" ]; then
    specs=()
    while IFS= read -r s; do specs+=("$s"); done < <(node -e '
      const d = require(process.argv[1]).dependencies;
      for (const k of Object.keys(d)) console.log(k + "@" + d[k]);' "$pj")
    al_log "npm: installing ${specs[*]} into bench/node_modules"
    # --no-save/--no-package-lock: bench/ gets node_modules only, no package files.
    (cd "$AL_BENCH_DIR" && timeout 600 npm install --prefix "$AL_BENCH_DIR" --no-save \
      --no-package-lock --no-audit --no-fund --loglevel=error "${specs[@]}" >/dev/null)
    echo "$sum" >"$stamp"
  fi
fi
