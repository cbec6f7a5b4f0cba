/**
 * npx tsx bench/train.ts [--backends wasm,cpu] [--quick]
 *
 * Training throughput of the shipped architecture (models/default's weights as the start):
 * - SFT: sftStep on a batch of 16 oracle trajectories (makeBatch, aux vision loss on, as
 *   `npm run train:sft` trains), tokens/s over real (unpadded) tokens and over padded B·T.
 * - GRPO: grpoStep on 8 rollouts of one prompt sampled at temperature 1 (one micro-batch).
 * - Achieved GFLOP/s of each step from an analytical count of its matMul FLOPs, against the
 *   GFLOP/s a plain matMul reaches on the same backend in the same run (256³ and a
 *   training-shaped 2048×128×384).
 *
 * FLOP count: forward matMuls counted exactly from the shapes (attention included); backward
 * = 2× forward for matMuls whose both operands need a gradient, 1× for the constant one-hot
 * embedding and image-placement matMuls (constantTimes computes only the weight gradient).
 * Element-wise ops, softmax, layer norms and Adam are not counted: the figure is a lower bound
 * on work done, which is the usual convention (model FLOPs utilisation).
 */
import * as tf from '../src/model/tf';
import { loadSquintModel } from '../src/model/load';
import { nodeFileReader } from '../src/model/weights/node-files';
import type { ModelConfig } from '../src/model/config';
import { convChannels, imageTokens, inputShape, patchCount, patchDim } from '../src/model/config';
import { Vlm } from '../src/model/vlm';
import { SquintModel } from '../src/model/squint-model';
import { Adam } from '../src/train/adam';
import { disposeBatch, makeBatch, type SequenceLike } from '../src/train/batch';
import { makeExample } from '../src/train/data';
import { createAuxHead } from '../src/train/aux-head';
import { sftStep, toVariables } from '../src/train/sft';
import { AUX_CHANNELS } from '../src/train/vision-labels';
import { DEFAULT_EPISODE_OPTIONS, environmentOnlyIds } from '../src/agent/loop';
import { disposeGrpoBatch, grpoStep, makeGrpoBatch, type PolicySample } from '../src/rl/grpo';
import { rolloutGroup } from '../src/rl/rollout';
import { generateSample } from '../src/world/generate';
import { createNodeCanvas } from '../src/world/node-canvas';
import { backendsArg, matmulGflops, median, quick, round, table, useBackend, writeResult } from './lib';

const SFT_BATCH = 16;
const GROUP = 8;
/** Timed steps per backend (CPU is ≈10× slower: fewer). */
const stepsFor = (backend: string) => (quick ? 2 : backend === 'cpu' ? 2 : 5);
let STEPS = 5;

/** Forward matMul FLOPs of one training forward: split into weight-grad-only (constant left operand) and both-grad parts. */
function forwardFlops(c: ModelConfig, B: number, T: number, N: number, aux: boolean): { both: number; constLeft: number } {
  const K = imageTokens(c);
  const P = patchCount(c);
  const BT = B * T;
  const NP = N * P;
  const Cv = c.visionDim;
  const C = c.dim;
  let both = 0;
  // vision: patch embedding or conv stem, blocks (qkv, scores, context, proj, mlp), aux head
  if (c.stem === 'conv') {
    const [c1, c2, c3] = convChannels(c);
    const [rows, windowDim] = inputShape(c);
    both += 2 * N * rows * windowDim * c1 + 2 * N * (rows / 4) * 4 * c1 * c2 + 2 * NP * 4 * c2 * c3;
  } else {
    both += 2 * NP * patchDim(c) * Cv;
  }
  both += c.visionLayers * (2 * NP * Cv * 3 * Cv + 2 * 2 * N * P * P * Cv + 2 * NP * Cv * Cv + 2 * 2 * NP * Cv * 4 * Cv);
  if (aux) both += 2 * NP * Cv * AUX_CHANNELS;
  // projector
  both += 2 * N * K * 4 * Cv * C + 2 * N * K * C * C;
  // decoder blocks and head
  both += c.layers * (2 * BT * C * 3 * C + 2 * 2 * B * T * T * C + 2 * BT * C * C + 2 * 2 * BT * C * c.mlpDim);
  both += 2 * BT * C * c.vocabSize;
  // one-hot embedding and image placement (constant left operand)
  const constLeft = 2 * BT * c.vocabSize * C + (N > 0 ? 2 * BT * N * K * C : 0);
  return { both, constLeft };
}

const stepFlops = (f: { both: number; constLeft: number }) => 3 * f.both + 2 * f.constLeft;

async function timeSteps(run: () => Promise<void>): Promise<number[]> {
  await run(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < STEPS; i++) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  return times;
}

const results: Record<string, object> = {};
const rows: (string | number)[][] = [['backend', 'step', 'ms', 'tokens/s', 'GFLOP/s', 'matmul 256³', 'matmul 2048×128×384', 'utilisation']];
for (const backend of backendsArg()) {
  await useBackend(backend);
  STEPS = stepsFor(backend);
  const loaded = await loadSquintModel(nodeFileReader('models/default'));
  const c = loaded.config;
  const vars = toVariables(loaded.vlm.weights);
  const vlm = new Vlm(c, vars, loaded.vlm.imageTokenId);
  const tok = loaded.tokenizer;
  const pad = tok.special('<pad>');

  // 1. SFT: one fixed batch of oracle trajectories, stepped repeatedly
  const seqs: SequenceLike[] = [];
  for (let s = 0; s < SFT_BATCH; s++) {
    const ex = makeExample(loaded, s, createNodeCanvas);
    seqs.push({ ids: ex.sequence.ids, weights: ex.sequence.weights, images: ex.sequence.images, auxLabels: ex.auxLabels });
  }
  const adam = new Adam();
  const aux = createAuxHead(c.visionDim, AUX_CHANNELS, 1);
  const batch = makeBatch(seqs, loaded.vlm.imageTokenId, loaded.tokensPerImage, pad, loaded.patchShape);
  const [B, T] = batch.ids.shape;
  const N = batch.patches?.shape[0] ?? 0;
  const sftTimes = await timeSteps(async () => void (await sftStep(vlm, vars, adam, batch, 1e-5, { aux })));
  disposeBatch(batch);
  const sftMs = median(sftTimes);
  const sftFlops = stepFlops(forwardFlops(c, B, T, N, true));

  // 2. GRPO: 8 rollouts of one prompt at temperature 1, one update on all of them
  const policy = new SquintModel(c, tok, vars);
  const sample = generateSample(500_000_000, {});
  const group = await rolloutGroup(policy, sample, createNodeCanvas, { groupSize: GROUP, episode: { ...DEFAULT_EPISODE_OPTIONS, sampling: { temperature: 1, topP: 1 }, seed: 1 } });
  // advantages do not change the cost; give the group signal even if its rewards tie
  const samples: PolicySample[] = group.rollouts.map((r, i) => ({ sequence: r.trajectory.sequence, advantage: i % 2 ? 1 : -1 }));
  const grpoBatch = makeGrpoBatch(samples, loaded.vlm.imageTokenId, loaded.tokensPerImage, pad, loaded.patchShape);
  const [gB, gT] = grpoBatch.ids.shape;
  const gN = grpoBatch.patches?.shape[0] ?? 0;
  const grpoOptions = { clipEps: 0.2, klCoef: 0, temperature: 1, maskedIds: environmentOnlyIds(tok) };
  const grpoTimes = await timeSteps(async () => void (await grpoStep(vlm, vars, adam, grpoBatch, 1e-6, grpoOptions)));
  disposeGrpoBatch(grpoBatch);
  const grpoMs = median(grpoTimes);
  const grpoFlops = stepFlops(forwardFlops(c, gB, gT, gN, false));

  // 3. the same backend's matMul, now
  const mm256 = await matmulGflops(256);
  const mmShaped = await (async () => {
    const a = tf.randomNormal([2048, 128]);
    const b = tf.randomNormal([128, 384]);
    const once = async () => {
      const t0 = performance.now();
      const y = tf.matMul(a, b);
      await y.data();
      y.dispose();
      return performance.now() - t0;
    };
    await once();
    const ts: number[] = [];
    for (let i = 0; i < 5; i++) ts.push(await once());
    a.dispose(), b.dispose();
    return (2 * 2048 * 128 * 384) / (median(ts) / 1000) / 1e9;
  })();

  const sftGflops = sftFlops / (sftMs / 1000) / 1e9;
  const grpoGflops = grpoFlops / (grpoMs / 1000) / 1e9;
  const realTokens = seqs.reduce((n, s) => n + s.ids.length, 0);
  const grpoTokens = samples.reduce((n, s) => n + s.sequence.ids.length, 0);
  results[backend] = {
    sft: {
      batch: B, paddedLength: T, images: N, realTokens, stepMsMedian: round(sftMs, 1), stepMs: sftTimes.map((t) => round(t, 1)),
      tokensPerS: round((realTokens / sftMs) * 1000, 1), paddedTokensPerS: round(((B * T) / sftMs) * 1000, 1), sequencesPerS: round((B / sftMs) * 1000, 2),
      matmulGflop: round(sftFlops / 1e9, 3), achievedGflopsPerS: round(sftGflops, 2),
    },
    grpo: {
      rollouts: gB, paddedLength: gT, images: gN, realTokens: grpoTokens, modelTokens: grpoBatch.trainedTokens, stepMsMedian: round(grpoMs, 1), stepMs: grpoTimes.map((t) => round(t, 1)),
      tokensPerS: round((grpoTokens / grpoMs) * 1000, 1), paddedTokensPerS: round(((gB * gT) / grpoMs) * 1000, 1),
      matmulGflop: round(grpoFlops / 1e9, 3), achievedGflopsPerS: round(grpoGflops, 2),
    },
    matmulGflopsPerS: { '256x256x256': round(mm256, 2), '2048x128x384': round(mmShaped, 2) },
    utilisation: { sftVsMatmul256: round(sftGflops / mm256, 3), grpoVsMatmul256: round(grpoGflops / mm256, 3) },
  };
  rows.push([backend, `SFT B${B}×T${T}`, round(sftMs, 0), round((realTokens / sftMs) * 1000, 0), round(sftGflops, 2), round(mm256, 2), round(mmShaped, 2), `${(100 * sftGflops / mm256).toFixed(0)}%`]);
  rows.push([backend, `GRPO B${gB}×T${gT}`, round(grpoMs, 0), round((grpoTokens / grpoMs) * 1000, 0), round(grpoGflops, 2), '', '', `${(100 * grpoGflops / mm256).toFixed(0)}%`]);
  adam.dispose();
  aux.w.dispose(), aux.b.dispose();
  for (const v of Object.values(vars)) v.dispose();
  loaded.dispose();
}
console.log('\n' + table(rows));
await writeResult('train', {
  method: `median of 5 steps (2 on CPU) after one warm-up; SFT: ${SFT_BATCH} oracle trajectories (seeds 0..${SFT_BATCH - 1}, aux loss on); GRPO: ${GROUP} rollouts at τ=1 of one prompt, one micro-batch, KL 0. tokens/s counts real (unpadded) tokens. GFLOP/s from an analytical matMul FLOP count (see bench/train.ts).`,
  results,
});
