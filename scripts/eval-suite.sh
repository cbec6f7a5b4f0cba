#!/usr/bin/env bash
# npm run eval:suite -- NAME MODEL_DIR [FLOAT32_CHECKPOINT_DIR]
#
# Every measurement issue #3 asks of a candidate model, two at a time (2 cores): the test set
# with and without the tool (1000 episodes from seed 1e9), the held-out background style and
# size band (300 each), validation (500 from seed 9e8 and 1000 from 900 000 500), the float32
# checkpoint when given, and the recovery replay. Writes runs/eval/NAME-*.json and logs under
# runs/eval/NAME-*.log; the summaries are printed at the end. Compare two candidates on the test
# set with
#   npm run eval:compare -- --a runs/eval/A-f16.json --b runs/eval/B-f16.json
# and on all 2500 test and validation episodes at once (what a ship decision should rest on) with
#   npm run eval:compare -- --a runs/eval/A-f16.json,runs/eval/A-val.json,runs/eval/A-val2.json --b …
set -euo pipefail
if [[ $# -lt 2 || $# -gt 3 ]]; then
  echo "usage: npm run eval:suite -- NAME MODEL_DIR [FLOAT32_CHECKPOINT_DIR]" >&2
  exit 2
fi
name=$1 model=$2 f32=${3:-}
[[ -f $model/config.json ]] || { echo "eval:suite: $model/config.json not found (not a model directory)" >&2; exit 2; }
out=runs/eval
mkdir -p "$out"

# run TAG DIR ARGS…: one eval of the model in DIR, its log kept beside its JSON
run() {
  local tag=$1 dir=$2; shift 2
  npx tsx scripts/eval.ts --model "$dir" --json "$out/$name-$tag.json" "$@" > "$out/$name-$tag.log" 2>&1 \
    || { echo "eval:suite: $tag failed, see $out/$name-$tag.log" >&2; return 1; }
}

# pair A B: two commands (strings) at once; fails if either does
pair() {
  eval "$1" & local a=$!
  eval "$2" & local b=$!
  local ra=0 rb=0
  wait $a || ra=$?
  wait $b || rb=$?
  return $((ra || rb))
}

pair 'run f16 "$model" --n 1000' 'run notool "$model" --n 1000 --no-tool'
pair 'run val "$model" --n 500 --seed 900000000' 'run tiles "$model" --n 300 --backgrounds tiles'
pair 'run size "$model" --n 300 --target-view 10,12' \
  'npx tsx scripts/probe-zoomed.ts --model "$model" --n 200 --after-miss > "$out/$name-after-miss.log" 2>&1'
if [[ -n $f32 ]]; then
  pair 'run val2 "$model" --n 1000 --seed 900000500' 'run f32 "$f32" --n 1000'
else
  run val2 "$model" --n 1000 --seed 900000500
fi

# the known logs only: a glob would also match this script's own output if it is redirected beside them
for tag in f16 notool val val2 tiles size after-miss ${f32:+f32}; do
  log="$out/$name-$tag.log"
  echo "== $log"
  # the summary table follows the progress line; the probe's log is all summary
  sed -n '/^model /,$p' "$log"
done
echo "== pooled against another candidate's suite (test, validation 500 and 1000: 2500 paired episodes):"
echo "npm run eval:compare -- --a runs/eval/OTHER-f16.json,runs/eval/OTHER-val.json,runs/eval/OTHER-val2.json --b $out/$name-f16.json,$out/$name-val.json,$out/$name-val2.json"
