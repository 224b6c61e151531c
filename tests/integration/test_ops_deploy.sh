#!/usr/bin/env bash
# Deployment files, checked without installing anything: the Dockerfile (lint rules,
# not built), the systemd units, the bash completion and the generated man pages.
source "$(dirname "$0")/lib.sh"
SRC="${AL_SOURCE_DIR:?}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
check() { CHECKS=$((CHECKS + 1)); eval "$1" || fail "$2"; }

# 1. Dockerfile.
D="$SRC/Dockerfile"
check 'grep -qE "^FROM debian:12(-slim)? AS build" "$D"' "build stage is not Debian 12"
check '[ "$(grep -cE "^FROM debian:12(-slim)?( |$)" "$D")" = 2 ]' "runtime stage is not Debian 12"
check '! grep -qiE "^FROM .*:latest" "$D"' "a :latest base image"
check '! grep -qE "^ADD " "$D"' "ADD (use COPY)"
check 'grep -qE "^USER [a-z]" "$D" && ! grep -qE "^USER (root|0)" "$D"' "runs as root"
check '[ "$(grep -c "apt-get install" "$D")" = "$(grep -c "apt-get install -y --no-install-recommends" "$D")" ]' \
  "apt-get install without -y --no-install-recommends"
check '[ "$(grep -c "apt-get update" "$D")" = "$(grep -c "rm -rf /var/lib/apt/lists" "$D")" ]' \
  "apt lists not removed in the RUN that fetched them"
for src in $(sed -n 's/^COPY \([^-][^ ]*\) .*/\1/p' "$D"); do
  check '[ "$src" = . ] || [ -e "$SRC/$src" ]' "COPY source $src missing"
done
if command -v apt-cache >/dev/null; then # runtime packages exist in this Debian
  for p in $(sed -n '/^FROM debian:12-slim$/,$p' "$D" | grep -oE 'lib[a-z0-9.-]+[0-9]|stunnel4|ca-certificates|tini' | sort -u); do
    check 'apt-cache show "$p" >/dev/null 2>&1' "runtime package $p unknown to apt"
  done
fi

# 2. systemd units.
for u in "$SRC"/contrib/systemd/*.service; do
  n=$(basename "$u")
  for k in '^\[Unit\]' '^\[Service\]' '^\[Install\]' '^ExecStart=/usr/bin/' '^Restart=' '^NoNewPrivileges=yes' \
           '^ProtectSystem=strict' '^CapabilityBoundingSet=$'; do
    check 'grep -qE "$k" "$u"' "$n lacks $k"
  done
  if command -v systemd-analyze >/dev/null; then
    # only syntax: the binary and man pages are not installed here
    bad=$(systemd-analyze verify "$u" 2>&1 | grep -iE "unknown|invalid|failed to parse|assignment" || true)
    check '[ -z "$bad" ]' "$n: $bad"
  fi
done
check 'grep -q "^LimitNOFILE=" "$SRC/contrib/systemd/auralith-coordinator.service"' "coordinator unit has no fd limit"
check 'grep -q "^TimeoutStopSec=" "$SRC/contrib/systemd/auralith-worker@.service"' "worker unit has no drain time"

# 3. bash completion against the built binary.
C="$SRC/contrib/completion/auralith-pipeline.bash"
check 'bash -n "$C"' "completion has a syntax error"
comp() { # words...: prints the completions of the last word
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _auralith_pipeline; printf "%s\n" "${COMPREPLY[@]}"' \
    _ "$C" "$@"; }
check 'comp "$BIN" sub | grep -qx submit-job' "completion does not offer submit-job"
check 'comp "$BIN" submit-job --max | grep -qx -- --max-seq-len' "completion does not offer --max-seq-len"
check 'comp "$BIN" coordinator --metr | grep -qx -- --metrics-port' "completion does not offer --metrics-port"
check 'comp "$BIN" worker --metrics- | grep -qx -- --metrics-host' "completion does not offer the worker's --metrics-host"
check 'comp "$BIN" worker --log-format j | grep -qx json' "completion does not offer json"

# 4. man pages from the option tables.
run bash "$SRC/scripts/gen-man.sh" "$BIN" "$T/man"
expect_rc 0 "gen-man"
check '[ -f "$T/man/auralith-pipeline.1" ] && [ -f "$T/man/auralith-pipeline-submit-job.1" ]' "pages missing"
if command -v groff >/dev/null; then
  for m in "$T"/man/*.1; do
    w=$(groff -man -Tutf8 -ww -z "$m" 2>&1)
    check '[ -z "$w" ]' "$(basename "$m"): $w"
  done
fi
for opt in $("$BIN" coordinator --help | grep -oE '^ +(-[a-z], )?--[a-z0-9-]+' | grep -oE -- '--[a-z0-9-]+'); do
  check 'grep -q -- "${opt//-/\\\\-}" "$T/man/auralith-pipeline-coordinator.1"' "coordinator page lacks $opt"
done
check 'grep -qF -- "metrics\\-port" "$T/man/auralith-pipeline-worker.1"' "worker page lacks --metrics-port"
finish
