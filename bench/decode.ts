/**
 * npx tsx bench/decode.ts [--backends wasm,cpu] [--quick]
 *
 * Decoding speed with the KV cache (DecodeSession) against full recomputation (one forward over
 * the whole sequence per generated token), at 64, 256 and 512 tokens of context.
 *
 * - 64 and 256: the shipped model (models/default, maxSeq 320).
 * - 512: beyond the shipped model's learned positions, so a copy of its config with maxSeq 640
 *   and random weights (the same shapes otherwise; speed does not depend on weight values).
 *
 * "At context N" = generating the tokens at positions N−S … N−1 after a prefill of N−S tokens
 * (S = 16 cached, median of 5 runs; 4 recomputed). The last generated token's logits are compared between the
 * two paths (a sanity check that both compute the same thing).
 */
import * as tf from '../src/model/tf';
import { loadSquintModel } from '../src/model/load';
import { nodeFileReader } from '../src/model/weights/node-files';
import { initWeights } from '../src/model/init';
import { SquintModel } from '../src/model/squint-model';
import type { Vlm } from '../src/model/vlm';
import { backendsArg, matmulGflops, median, quick, round, table, useBackend, writeResult } from './lib';

const CONTEXTS = [64, 256, 512];
const CACHED_STEPS = quick ? 4 : 16;
const FULL_STEPS = quick ? 1 : 4;
const TRIALS = quick ? 1 : 5;

/** Logits of the last position after one forward over all of `ids` (no cache). */
async function recomputeLast(vlm: Vlm, ids: number[]): Promise<Float32Array> {
  const logits = tf.tidy(() => {
    const x = vlm.embedIds(tf.tensor2d(ids, [1, ids.length], 'int32'));
    const h = vlm.decode(x, 0).hidden; // [1, T, C]
    const last = tf.slice(h, [0, ids.length - 1, 0], [1, 1, -1]) as tf.Tensor3D;
    return vlm.logits(last).reshape([-1]);
  });
  const v = (await logits.data()) as Float32Array;
  logits.dispose();
  return v;
}

/** Deterministic ordinary token ids (no special tokens needed for speed). */
const tokenIds = (n: number, vocab: number) => Array.from({ length: n }, (_, i) => 20 + ((i * 7919) % (vocab - 20)));

interface Row {
  backend: string;
  context: number;
  weights: 'shipped' | 'random (maxSeq 640)';
  cachedTokensPerS: number;
  recomputeTokensPerS: number;
  speedup: number;
  cachedMsPerToken: number;
  recomputeMsPerToken: number;
  maxAbsLogitDiff: number;
}

async function measure(model: SquintModel, context: number, weights: Row['weights'], backend: string): Promise<Row> {
  const ids = tokenIds(context, model.config.vocabSize);
  // warm-up of both paths at this length (kernel set-up, allocator)
  {
    const s = model.newSession();
    await s.appendTokens(ids.slice(0, context - 1));
    await s.appendTokens([ids[context - 1]]);
    s.dispose();
    await recomputeLast(model.vlm, ids);
  }
  // cached: prefill N−S, then S single-token appends; the median of TRIALS such runs
  let cachedLast: Float32Array = new Float32Array();
  const trials: number[] = [];
  for (let trial = 0; trial < TRIALS; trial++) {
    const session = model.newSession();
    await session.appendTokens(ids.slice(0, context - CACHED_STEPS));
    const t0 = performance.now();
    for (let i = context - CACHED_STEPS; i < context; i++) cachedLast = await session.appendTokens([ids[i]]);
    trials.push((performance.now() - t0) / CACHED_STEPS);
    session.dispose();
  }
  const cachedMs = median(trials);
  // recompute: S forwards over the growing sequence
  let fullLast: Float32Array = new Float32Array();
  const t1 = performance.now();
  for (let i = context - FULL_STEPS; i < context; i++) fullLast = await recomputeLast(model.vlm, ids.slice(0, i + 1));
  const fullMs = (performance.now() - t1) / FULL_STEPS;
  let diff = 0;
  for (let v = 0; v < cachedLast.length; v++) diff = Math.max(diff, Math.abs(cachedLast[v] - fullLast[v]));
  const row: Row = {
    backend, context, weights,
    cachedTokensPerS: round(1000 / cachedMs, 1), recomputeTokensPerS: round(1000 / fullMs, 1), speedup: round(fullMs / cachedMs, 2),
    cachedMsPerToken: round(cachedMs), recomputeMsPerToken: round(fullMs), maxAbsLogitDiff: diff,
  };
  console.log(`${backend} ctx ${context}: cached ${row.cachedMsPerToken} ms/token, recompute ${row.recomputeMsPerToken} ms/token, ×${row.speedup} (|Δlogit| ${diff.toExponential(1)})`);
  return row;
}

const rows: Row[] = [];
const matmul: Record<string, number> = {};
const kernels: Record<string, object> = {};
for (const backend of backendsArg()) {
  await useBackend(backend);
  const shipped = await loadSquintModel(nodeFileReader('models/default'));
  const bigConfig = { ...shipped.config, maxSeq: 640 };
  const big = new SquintModel(bigConfig, shipped.tokenizer, initWeights(bigConfig, 1));
  for (const context of CONTEXTS) {
    rows.push(await measure(context <= shipped.config.maxSeq ? shipped : big, context, context <= shipped.config.maxSeq ? 'shipped' : 'random (maxSeq 640)', backend));
  }
  matmul[backend] = round(await matmulGflops(256), 2);
  // what one cached decode step at 256 tokens runs: kernels by name (tf.profile)
  {
    const s = shipped.newSession();
    const ids = tokenIds(256, shipped.config.vocabSize);
    await s.appendTokens(ids.slice(0, 255));
    const info = await tf.profile(async () => void (await s.appendTokens([ids[255]])));
    const byName: Record<string, number> = {};
    for (const k of info.kernels) byName[k.name] = (byName[k.name] ?? 0) + 1;
    kernels[backend] = { total: info.kernels.length, byName: Object.fromEntries(Object.entries(byName).sort((a, b) => b[1] - a[1])) };
    console.log(`${backend}: one cached decode step runs ${info.kernels.length} kernels`);
    s.dispose();
  }
  shipped.dispose();
  big.dispose();
}

console.log('\n' + table([
  ['backend', 'context', 'cached tok/s', 'recompute tok/s', 'speed-up'],
  ...rows.map((r) => [r.backend, r.context, r.cachedTokensPerS, r.recomputeTokensPerS, `×${r.speedup}`]),
]));
await writeResult('decode', {
  method: `cached: ${CACHED_STEPS} single-token appends after a prefill to context−${CACHED_STEPS} (median of ${TRIALS} runs); recompute: ${FULL_STEPS} full forwards ending at the context length; batch 1, text tokens`,
  model: 'models/default (64, 256); its config with maxSeq 640 and random weights (512)',
  matmul256GflopsPerS: matmul,
  kernelsPerCachedDecodeStep: kernels,
  rows,
});
