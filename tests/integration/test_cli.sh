#!/usr/bin/env bash
# CLI parsing: global options, --help of every command of the original, usage errors.
source "$(dirname "$0")/lib.sh"

run "$BIN" --version;            expect_rc 0 version; expect_out "auralith-pipeline "
run "$BIN" --help;               expect_rc 0 help;    expect_out "submit-job"
run "$BIN";                      expect_rc 2 "no command"
run "$BIN" frobnicate;           expect_rc 2 "unknown command"; expect_err "unknown command 'frobnicate'"
run "$BIN" --bogus;              expect_rc 2 "unknown global"; expect_err "unknown option '--bogus'"

# Every option of the original (original-behaviour.md §11) appears in --help with its default.
run "$BIN" coordinator --help;   expect_rc 0; expect_out "--config"; expect_out "--host HOST"; expect_out "[default: coordinator.host]"; expect_out "[default: coordinator.port]"
run "$BIN" worker --help;        expect_rc 0; expect_out "--coordinator HOST:PORT"; expect_out "--worker-id"; expect_out "--state-store"; expect_out "[default: redis]"
run "$BIN" submit-job --help;    expect_rc 0
for o in "--input-dir" "--output-dir" "--tokenizers-dir" "--job-name" "--max-seq-len" "--shard-size" "--files-per-task" "--num-workers" "--embedded" "--external"; do
  expect_out "$o"
done
expect_out "[default: auralith-job]"; expect_out "[default: 4096]"; expect_out "[default: 10000]"; expect_out "[default: 500]"; expect_out "[default: 2]"
run "$BIN" status --help;        expect_rc 0; expect_out "--coordinator"; expect_out "--json"
run "$BIN" job-status --help;    expect_rc 0; expect_out "--job-id"

# Usage errors: exit 2 and say what is wrong.
run "$BIN" submit-job -c x.yaml; expect_rc 2 "missing option"; expect_err "missing required option --input-dir"
run "$BIN" coordinator -c x --nope; expect_rc 2 "unknown option"; expect_err "unknown option '--nope'"
run "$BIN" coordinator -c;       expect_rc 2 "missing value"; expect_err "option --config needs a value"
run "$BIN" job-status --coordinator a:1 --job-id x --job-id y; expect_rc 2 "repeated"; expect_err "given more than once"
run "$BIN" status --json=yes --coordinator a:1; expect_rc 2 "flag with value"; expect_err "takes no value"
finish
