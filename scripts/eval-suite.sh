#!/usr/bin/env bash
# npm run eval:suite -- [--pooled] [--framings N] NAME MODEL_DIR [FLOAT32_CHECKPOINT_DIR]
#
# Every measurement issue #3 asks of a candidate model, two at a time (2 cores): the test set
# with and without the tool (1000 episodes from seed 1e9), the held-out background style and
# size band (300 each), validation (500 from seed 9e8 and 1000 each from 900 000 500,
# 900 001 500 and 900 002 500), the float32 checkpoint when given, and the recovery replay.
# With --pooled, only the five paired sets a ship decision rests on (test and the four
# validation sets, 4500 episodes). --framings 5 reads every question on up to five framings until
# one answer leads by two and answers by majority, as the playground does (src/agent/framings.ts;
# 2.3 times the time). Writes runs/eval/NAME-*.json and logs under
# runs/eval/NAME-*.log; the summaries are printed at the end. Compare two candidates on the test
# set with
#   npm run eval:compare -- --a runs/eval/A-f16.json --b runs/eval/B-f16.json
# and on all 4500 paired episodes at once (the ship rule: ahead by two standard errors) with
#   npm run eval:compare -- --a runs/eval/A-f16.json,runs/eval/A-val.json,…,runs/eval/A-val4.json --b …
set -euo pipefail
pooled=0 framings=1
while [[ ${1:-} == --* ]]; do
  case $1 in
    --pooled) pooled=1; shift ;;
    --framings) framings=${2:-}; shift 2 ;;
    *) echo "eval:suite: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ $framings =~ ^[1-5]$ ]] || { echo "eval:suite: --framings must be 1 to 5 (got $framings)" >&2; exit 2; }
if [[ $# -lt 2 || $# -gt 3 ]]; then
  echo "usage: npm run eval:suite -- [--pooled] [--framings N] NAME MODEL_DIR [FLOAT32_CHECKPOINT_DIR]" >&2
  exit 2
fi
name=$1 model=$2 f32=${3:-}
[[ -f $model/config.json ]] || { echo "eval:suite: $model/config.json not found (not a model directory)" >&2; exit 2; }
out=runs/eval
mkdir -p "$out"

# run TAG DIR ARGS…: one eval of the model in DIR, its log kept beside its JSON
run() {
  local tag=$1 dir=$2; shift 2
  npx tsx scripts/eval.ts --model "$dir" --framings "$framings" --json "$out/$name-$tag.json" "$@" > "$out/$name-$tag.log" 2>&1 \
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

pooled_tags="f16 val val2 val3 val4"
if (( pooled )); then
  # two chains of 2500 and 2000 episodes
  pair 'run f16 "$model" --n 1000 && run val "$model" --n 500 --seed 900000000 && run val4 "$model" --n 1000 --seed 900002500' \
    'run val2 "$model" --n 1000 --seed 900000500 && run val3 "$model" --n 1000 --seed 900001500'
  tags=$pooled_tags
else
  pair 'run f16 "$model" --n 1000' 'run notool "$model" --n 1000 --no-tool'
  pair 'run val "$model" --n 500 --seed 900000000' 'run tiles "$model" --n 300 --backgrounds tiles'
  pair 'run size "$model" --n 300 --target-view 10,12' \
    'npx tsx scripts/probe-zoomed.ts --model "$model" --n 200 --after-miss > "$out/$name-after-miss.log" 2>&1'
  pair 'run val2 "$model" --n 1000 --seed 900000500' 'run val3 "$model" --n 1000 --seed 900001500'
  if [[ -n $f32 ]]; then
    pair 'run val4 "$model" --n 1000 --seed 900002500' 'run f32 "$f32" --n 1000'
  else
    run val4 "$model" --n 1000 --seed 900002500
  fi
  tags="f16 notool val val2 val3 val4 tiles size after-miss ${f32:+f32}"
fi

# the known logs only: a glob would also match this script's own output if it is redirected beside them
for tag in $tags; do
  log="$out/$name-$tag.log"
  echo "== $log"
  # the summary table follows the progress line; the probe's log is all summary
  sed -n '/^model /,$p' "$log"
done
echo "== pooled against another candidate's (test and the four validation sets: 4500 paired episodes):"
list() { local prefix=$1 sep=""; for tag in $pooled_tags; do printf '%s%s' "$sep" "$prefix-$tag.json"; sep=,; done; }
echo "npm run eval:compare -- --a $(list runs/eval/OTHER) --b $(list "$out/$name")"
