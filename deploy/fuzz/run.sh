#!/usr/bin/env bash
# Runs every fuzz target of the workspace (every provider verifier and
# envelope parser, the payload normalisers, the CloudEvents mapping, the
# catalog's name rule) for a fixed budget each, and prints how many inputs
# each reached without a failure. A failure stops the script with the
# failing input saved under the package's testdata/fuzz/<target>/, where
# `go test` replays it from then on: commit it with the fix.
#
#   deploy/fuzz/run.sh                 # 30s per target
#   FUZZTIME=5m deploy/fuzz/run.sh     # longer
#   deploy/fuzz/run.sh Verify          # only targets whose name matches
set -euo pipefail
cd "$(dirname "$0")/../.."
budget=${FUZZTIME:-30s}
match=${1:-.}
total=0
printf '%-48s %-34s %12s\n' package target inputs
for dir in $(go list -m -f '{{.Dir}}'); do
	for pkg in $(cd "$dir" && go list ./...); do
		pdir=$(cd "$dir" && go list -f '{{.Dir}}' "$pkg")
		targets=$(grep -h -o '^func Fuzz[A-Za-z0-9_]*' "$pdir"/*_test.go 2>/dev/null | sed 's/^func //' | grep -E "$match" || true)
		for target in $targets; do
			log=$(mktemp)
			if ! (cd "$pdir" && go test -run '^$' -fuzz "^${target}\$" -fuzztime "$budget" . >"$log" 2>&1); then
				cat "$log"
				echo "FAIL: $pkg $target (the failing input is under $pdir/testdata/fuzz/$target/)"
				exit 1
			fi
			execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | awk '{print $2}')
			printf '%-48s %-34s %12s\n' "${pkg#github.com/hookstream/hookstream/}" "$target" "${execs:-?}"
			total=$((total + ${execs:-0}))
			rm -f "$log"
		done
	done
done
echo "all targets passed; $total inputs in all, $budget each"
