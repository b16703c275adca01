#!/usr/bin/env bash
# Issue 13 defect 8: is a very long line parsed in time linear in its length? Writes a file whose one
# data record is a single field of SIZE MB (no line break after it), reads it with
# `dpcondense describe` (which rejects the cell: it is not a category of the card) and reports wall
# and CPU time and peak RSS from /usr/bin/time, for each size.
#   usage: tools/longline/measure.sh [SIZES_MB="25 50 100"]     (after npm run build)
set -u
cli="$(cd "$(dirname "$0")/../.." && pwd)/dist/cli/main.js"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat >"$work/long.json" <<'CARD'
{"name": "long", "task": "classification", "label": "y", "positive": 1,
 "features": [{"name": "note", "type": "categorical", "categories": ["a", "b"]}]}
CARD
printf 'size_mb\twall_s\tuser_s\tsys_s\tpeak_rss_mb\texit\tmessage\n'
for mb in ${1:-25 50 100}; do
  { printf 'note,y\n'; head -c $((mb * 1024 * 1024)) /dev/zero | tr '\0' 'x'; printf ',1'; } >"$work/long.csv"
  /usr/bin/time -f '%e %U %S %M' -o "$work/time" node "$cli" describe "$work/long.csv" --card "$work/long.json" >/dev/null 2>"$work/err"
  code=$?
  read -r wall user sys rss < <(tail -n 1 "$work/time")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$mb" "$wall" "$user" "$sys" "$((rss / 1024))" "$code" "$(head -c 120 "$work/err")"
done
