#!/usr/bin/env bash
# Writes man pages (section 1) for auralith-pipeline and each of its commands from
# their --help output, which cli_print_help renders from the commands' option tables
# (src/cli/opts.c), so the pages never drift from the options.
#   scripts/gen-man.sh BIN OUTDIR     e.g. scripts/gen-man.sh build/auralith-pipeline build/man
set -euo pipefail
BIN=${1:?usage: gen-man.sh BIN OUTDIR}
OUT=${2:?usage: gen-man.sh BIN OUTDIR}
mkdir -p "$OUT"
VERSION=$("$BIN" --version | awk '{print $2}')
esc() { sed -e 's/\\/\\e/g' -e 's/^\./\\\&./' -e "s/^'/\\\\\\&'/" -e 's/-/\\-/g'; }
COMMANDS=$("$BIN" --help | awk '/^Commands:/ {on=1; next} on && /^  [a-z]/ {print $1} on && /^$/ {exit}')

page() { # NAME SUMMARY HELPTEXT
  local name=$1 summary=$2 help=$3
  {
    printf '.TH %s 1 "" "auralith-pipeline %s" "User Commands"\n' "$(tr a-z A-Z <<<"$name")" "$VERSION"
    printf '.SH NAME\n%s \\- %s\n' "$(esc <<<"$name")" "$(esc <<<"$summary")"
    awk '
      function e(s) { gsub(/\\/, "\\e", s); gsub(/-/, "\\-", s); if (s ~ /^[.\x27]/) s = "\\&" s; return s }
      function section(name) { if (cur != name) { print ".SH " name; cur = name } }
      /^Usage: / { sub(/^Usage: /, ""); section("SYNOPSIS"); print e($0); next }
      /^(Options|Commands|Global options):$/ { h = toupper($0); sub(/:$/, "", h); section(h); opts = 1; seen_opts = 1; next }
      opts && /^  / {
        line = $0; sub(/^  +/, "", line)
        n = match(line, /  +/)
        if (n) { left = substr(line, 1, n - 1); right = substr(line, n); sub(/^ +/, "", right) }
        else { left = line; right = "" }
        print ".TP"; print "\\fB" e(left) "\\fR"; if (right != "") print e(right); next
      }
      /^$/ { opts = 0; if (cur == "DESCRIPTION" || cur == "NOTES") print ".PP"; next }
      { section(seen_opts ? "NOTES" : "DESCRIPTION"); print e($0) }
    ' <<<"$help"
    printf '.SH SEE ALSO\n'
    if [ "$name" = auralith-pipeline ]; then
      for c in $COMMANDS; do printf '.BR auralith\\-pipeline\\-%s (1)\n' "$(esc <<<"$c")"; done
    else
      printf '.BR auralith\\-pipeline (1),\n.I docs/OPERATIONS.md\n'
    fi
  } > "$OUT/$name.1"
}

page auralith-pipeline "distributed tokenization and sharding of raw files for LLM training" "$("$BIN" --help)"
for c in $COMMANDS; do
  h=$("$BIN" "$c" --help)
  summary=$(sed -n '3p' <<<"$h")
  page "auralith-pipeline-$c" "${summary%.}" "$h"
done
echo "wrote $(ls "$OUT" | wc -l) pages in $OUT"
