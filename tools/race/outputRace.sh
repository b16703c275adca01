#!/usr/bin/env bash
# Two real `dpcondense condense` processes race for the same --out/receipt, TRIALS times without
# --force and TRIALS times with it (issue 13's acceptance test; the test suite runs a short
# version of the same race on the commit step alone, tests/cli/outputs.test.ts).
# One run makes 20 rows and the other 21, so the CSV's row count names its run; the receipt must
# name the same run (parameters.rows). Without --force exactly one run may succeed.
#   usage: tools/race/outputRace.sh [TRIALS=200] [both|force|no-force]     (after npm run build)
# (the two halves can run as two processes at once on a slow machine)
set -u
trials=${1:-200}
case ${2:-both} in both) modes=("" "--force") ;; force) modes=("--force") ;; no-force) modes=("") ;; *) echo "mode: both, force or no-force" >&2; exit 2 ;; esac
cli="$(cd "$(dirname "$0")/../.." && pwd)/dist/cli/main.js"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mismatched=0; bad_exit=0; leftovers=0
for force in "${modes[@]}"; do
  for ((t = 1; t <= trials; t++)); do
    dir="$work/t$t$force"; mkdir -p "$dir"
    # With --force, start from an existing pair of a third run (18 rows) that both must replace.
    if [[ -n $force ]]; then node "$cli" condense --dataset pima --rows 18 --steps 1 --directions 2 --quiet --out "$dir/s.csv" >/dev/null; fi
    for rows in 20 21; do
      node "$cli" condense --dataset pima --rows "$rows" --steps 1 --directions 2 --quiet --out "$dir/s.csv" $force >/dev/null 2>"$dir/err$rows" &
      eval "pid$rows=$!"
    done
    wait "$pid20"; c20=$?; wait "$pid21"; c21=$?
    csv_rows=$(($(wc -l <"$dir/s.csv") - 1))
    receipt_rows=$(node -e "console.log(JSON.parse(require('fs').readFileSync('$dir/s.receipt.json','utf8')).parameters.rows)")
    [[ $csv_rows == "$receipt_rows" ]] || { mismatched=$((mismatched + 1)); echo "trial $t $force: CSV has $csv_rows rows, receipt says $receipt_rows"; }
    if [[ -n $force ]]; then
      [[ $c20 == 0 && $c21 == 0 ]] || { bad_exit=$((bad_exit + 1)); echo "trial $t $force: exit codes $c20 $c21"; }
    else
      [[ $((c20 + c21)) == 2 && ($c20 == 0 || $c21 == 0) ]] || { bad_exit=$((bad_exit + 1)); echo "trial $t: exit codes $c20 $c21"; }
    fi
    extra=$(ls -A "$dir" | grep -v -x -e s.csv -e s.receipt.json -e err20 -e err21 | wc -l)
    [[ $extra == 0 ]] || { leftovers=$((leftovers + 1)); echo "trial $t $force: left behind: $(ls -A "$dir")"; }
  done
  echo "${force:-no --force}: $trials trials, mismatched pairs $mismatched, wrong exit codes $bad_exit, leftover files $leftovers"
  mismatched=0; bad_exit=0; leftovers=0
done
