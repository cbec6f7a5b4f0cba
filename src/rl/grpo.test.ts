import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../model/tf';
import { imageTokens, patchCount, patchDim, presetConfig } from '../model/config';
import { initWeights } from '../model/init';
import { SquintModel } from '../model/squint-model';
import { Vlm } from '../model/vlm';
import { DEFAULT_EPISODE_OPTIONS, environmentOnlyIds, runEpisode } from '../agent/loop';
import { testTokenizer } from '../agent/testing';
import type { TokenSequence } from '../agent/trajectory';
import { sampleImage } from '../agent/episode-image';
import { generateSample } from '../world/generate';
import { createNodeCanvas } from '../world/node-canvas';
import { Adam } from '../train/adam';
import { toVariables } from '../train/sft';
import { type GrpoBatch, type PolicySample, DEFAULT_GRPO, disposeGrpoBatch, grpoObjective, grpoStep, makeGrpoBatch, targetLogprobs } from './grpo';

const tok = testTokenizer();
const config = presetConfig('tiny', tok.vocabSize);
const K = imageTokens(config);
const imageId = tok.special('<image>');
const padId = tok.special('<pad>');
const patchShape: [number, number] = [patchCount(config), patchDim(config)];

/** A sequence from (text, written-by-model) parts; each `<image>` becomes a block of K ids. */
function handSequence(parts: [string, boolean][]): TokenSequence {
  const seq: TokenSequence = { ids: [], modelMask: [], logprobs: [], images: [] };
  for (const [text, model] of parts) {
    for (const id of tok.encode(text)) {
      const n = id === imageId ? K : 1;
      if (id === imageId) seq.images.push(Float32Array.from({ length: patchShape[0] * patchShape[1] }, (_, i) => ((i * 7919 + seq.images.length * 31) % 97) / 97));
      for (let k = 0; k < n; k++) seq.ids.push(id), seq.modelMask.push(model ? 1 : 0), seq.logprobs.push(0);
    }
  }
  return seq;
}

const batchOf = (samples: PolicySample[]) => makeGrpoBatch(samples, imageId, K, padId, patchShape);

/** The model's current τ-log-prob of every model-written token, aligned with sequence.ids (0 elsewhere). */
async function currentLogprobs(model: Vlm, seqs: TokenSequence[], temperature: number): Promise<number[][]> {
  const batch = batchOf(seqs.map((sequence) => ({ sequence, advantage: 0 })));
  const T = batch.ids.shape[1];
  const lp = targetLogprobs(model, batch, temperature, environmentOnlyIds(tok));
  const flat = await lp.data();
  lp.dispose();
  disposeGrpoBatch(batch);
  return seqs.map((s, b) => s.ids.map((_, t) => (t > 0 && s.modelMask[t] ? flat[b * T + t - 1] : 0)));
}

const withLogprobs = (s: TokenSequence, logprobs: number[]): TokenSequence => ({ ...s, logprobs });
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

const prompt: [string, boolean] = ['<bos><user><image>What colour?<assistant>', false];
const observation: [string, boolean] = ['<user><tool_response><image></tool_response><assistant>', false];

function freshPolicy(seed = 4) {
  const weights = initWeights(config, seed);
  const vars = toVariables(weights);
  return { weights, vars, vlm: new Vlm(config, vars, imageId), dispose: () => [...Object.values(weights), ...Object.values(vars)].forEach((t) => t.dispose()) };
}

describe('GRPO (tiny preset, CPU backend)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it("recomputed log-probs equal the rollout's sampling log-probs (ratio 1 at the first update), at τ ≠ 1", async () => {
    const model = new SquintModel(config, tok, initWeights(config, 5));
    const sample = generateSample(500_000_001, { families: ['glyph'], difficulty: 0 });
    const temperature = 0.7;
    const t = await runEpisode(model, sampleImage(sample, createNodeCanvas), sample.question, {
      ...DEFAULT_EPISODE_OPTIONS, maxTurns: 2, maxTokensPerTurn: 24, seed: 3, sampling: { temperature, topP: 1 },
    });
    const seq = t.sequence;
    expect(seq.modelMask.filter(Boolean).length).toBeGreaterThan(5);
    const [recomputed] = await currentLogprobs(model.vlm, [seq], temperature);
    for (let i = 0; i < seq.ids.length; i++) if (seq.modelMask[i]) expect(recomputed[i]).toBeCloseTo(seq.logprobs[i], 3);

    const vars = toVariables(model.vlm.weights);
    const adam = new Adam();
    const batch = batchOf([{ sequence: seq, advantage: 1 }]);
    const r = await grpoStep(new Vlm(config, vars, imageId), vars, adam, batch, 1e-3, { ...DEFAULT_GRPO, temperature, maskedIds: environmentOnlyIds(tok) });
    expect(r.applied).toBe(true);
    expect(r.clipFrac).toBe(0);
    expect(r.loss).toBeCloseTo(-1, 3); // −mean(ratio · A) with ratio 1, A 1
    disposeGrpoBatch(batch);
    adam.dispose();
    Object.values(vars).forEach((v) => v.dispose());
    model.dispose();
  });

  it('masks prompt and observation tokens out of the loss', async () => {
    const seq = handSequence([prompt, ['<think>zoom</think><tool_call>{}</tool_call>', true], observation, ['<answer>red</answer><eos>', true]]);
    const obsPosition = seq.ids.indexOf(tok.special('<tool_response>'));
    expect(seq.modelMask[obsPosition]).toBe(0);
    const policy = freshPolicy();
    const [lp] = await currentLogprobs(policy.vlm, [seq], 1);
    const perturbed = [...lp];
    perturbed[obsPosition] = -5; // an observation token's "old log-prob" must not matter
    const lossOf = async (logprobs: number[]) => {
      const batch = batchOf([{ sequence: withLogprobs(seq, logprobs), advantage: 1.5 }]);
      const v = tf.tidy(() => grpoObjective(targetLogprobs(policy.vlm, batch, 1), batch, null, DEFAULT_GRPO).loss);
      const loss = (await v.data())[0];
      v.dispose();
      disposeGrpoBatch(batch);
      return loss;
    };
    expect(await lossOf(perturbed)).toBe(await lossOf(lp));
    // …whereas a model token's old log-prob does
    const modelPosition = seq.modelMask.lastIndexOf(1);
    expect(await lossOf(lp.map((x, i) => (i === modelPosition ? x - 0.1 : x)))).not.toBe(await lossOf(lp));

    // the gradient of the loss wrt the per-position log-probs is exactly zero where masked
    const batch: GrpoBatch = batchOf([{ sequence: withLogprobs(seq, lp), advantage: 1.5 }]);
    const logp = targetLogprobs(policy.vlm, batch, 1);
    const g = tf.grad((x: tf.Tensor) => grpoObjective(x as tf.Tensor1D, batch, logp, { ...DEFAULT_GRPO, klCoef: 0.1 }).loss)(logp);
    const [grad, mask] = await Promise.all([g.data(), batch.lossWeights.data()]);
    for (let i = 0; i < grad.length; i++) {
      if (mask[i] === 0) expect(grad[i]).toBe(0);
      else expect(grad[i]).not.toBe(0);
    }
    [g, logp].forEach((t) => t.dispose());
    disposeGrpoBatch(batch);
    policy.dispose();
  });

  it("treats an <image> the policy wrote as a text token, not as an image block", async () => {
    const seq = handSequence([prompt, ['<think>', true], ['<image>', true], ['</think><answer>red</answer>', true]]);
    const written = seq.ids.findIndex((id, i) => id === imageId && seq.modelMask[i] === 1);
    // handSequence expanded the written <image> into a block: collapse it back to one token
    const policySeq: TokenSequence = {
      ids: [...seq.ids.slice(0, written + 1), ...seq.ids.slice(written + K)],
      modelMask: [...seq.modelMask.slice(0, written + 1), ...seq.modelMask.slice(written + K)],
      logprobs: [...seq.logprobs.slice(0, written + 1), ...seq.logprobs.slice(written + K)],
      images: seq.images.slice(0, 1),
    };
    const batch = batchOf([{ sequence: policySeq, advantage: 1 }]);
    expect(Array.from(await batch.ids.data())).toEqual(policySeq.ids);
    expect((await batch.targets.data())[written - 1]).toBe(imageId);
    expect(batch.patches!.shape[0]).toBe(1); // only the prompt's image
    disposeGrpoBatch(batch);
  });

  it('raises the log-prob of a high-advantage answer and lowers a low-advantage one', async () => {
    const good = handSequence([prompt, ['<think>It is red.</think><answer>seven</answer><eos>', true]]);
    const bad = handSequence([prompt, ['<think>It is red.</think><answer>zoom</answer><eos>', true]]);
    const policy = freshPolicy(6);
    const before = await currentLogprobs(policy.vlm, [good, bad], 1);
    const adam = new Adam();
    const batch = batchOf([{ sequence: withLogprobs(good, before[0]), advantage: 1 }, { sequence: withLogprobs(bad, before[1]), advantage: -1 }]);
    for (let step = 0; step < 3; step++) expect((await grpoStep(policy.vlm, policy.vars, adam, batch, 3e-3)).applied).toBe(true);
    const after = await currentLogprobs(policy.vlm, [good, bad], 1);
    expect(sum(after[0])).toBeGreaterThan(sum(before[0]) + 0.05);
    expect(sum(after[1])).toBeLessThan(sum(before[1]) - 0.05);
    disposeGrpoBatch(batch);
    adam.dispose();
    policy.dispose();
  });

  it('leaves the tensor count at baseline (plus Adam slots after the first step), with a KL reference', async () => {
    const seqs = [
      handSequence([prompt, ['<think>zoom</think><tool_call>{}</tool_call>', true], observation, ['<answer>red</answer><eos>', true]]),
      handSequence([prompt, ['<answer>seven</answer><eos>', true]]),
    ];
    const policy = freshPolicy(7);
    const reference = new Vlm(config, policy.weights, imageId);
    const adam = new Adam();
    const batch = batchOf(seqs.map((sequence, i) => ({ sequence, advantage: i ? -0.7 : 0.7 })));
    const options = { ...DEFAULT_GRPO, klCoef: 0.05 };
    const baseline = tf.memory().numTensors;
    const first = await grpoStep(policy.vlm, policy.vars, adam, batch, 1e-3, options, reference);
    expect(first.kl).toBeCloseTo(0, 6); // the policy starts at the reference
    expect(tf.memory().numTensors).toBe(baseline + 2 * Object.keys(policy.vars).length);
    const afterFirst = tf.memory().numTensors;
    for (let step = 0; step < 3; step++) {
      const r = await grpoStep(policy.vlm, policy.vars, adam, batch, 1e-3, options, reference);
      expect(r.applied).toBe(true);
      expect(tf.memory().numTensors).toBe(afterFirst);
    }
    const last = await grpoStep(policy.vlm, policy.vars, adam, batch, 1e-3, options, reference);
    expect(last.kl!).toBeGreaterThan(0);
    expect(last.clipFrac).toBeGreaterThanOrEqual(0);
    disposeGrpoBatch(batch);
    adam.dispose();
    policy.dispose();
  });

  it('accumulating micro-batches gives the update of one batch of all their sequences (token-mean)', async () => {
    const seqs = [
      handSequence([prompt, ['<think>zoom</think><tool_call>{}</tool_call>', true], observation, ['<answer>red</answer><eos>', true]]),
      handSequence([prompt, ['<answer>seven</answer><eos>', true]]),
      handSequence([prompt, ['<think>It is red.</think><answer>red</answer><eos>', true]]),
    ];
    const samples = seqs.map((sequence, i) => ({ sequence, advantage: [1.2, -0.4, -0.8][i] }));
    const run = async (split: boolean) => {
      const policy = freshPolicy(9);
      const reference = new Vlm(config, policy.weights, imageId);
      const adam = new Adam();
      const batches = split ? [batchOf(samples.slice(0, 1)), batchOf(samples.slice(1))] : [batchOf(samples)];
      const baseline = tf.memory().numTensors;
      const r = await grpoStep(policy.vlm, policy.vars, adam, batches, 1e-3, DEFAULT_GRPO, reference);
      expect(tf.memory().numTensors).toBe(baseline + 2 * Object.keys(policy.vars).length);
      const after = await policy.vars['decoder.head'].data();
      batches.forEach(disposeGrpoBatch);
      adam.dispose();
      policy.dispose();
      return { r, after };
    };
    const [whole, micro] = [await run(false), await run(true)];
    expect(micro.r.loss).toBeCloseTo(whole.r.loss, 5);
    expect(micro.r.gradNorm).toBeCloseTo(whole.r.gradNorm, 5);
    for (let i = 0; i < whole.after.length; i += 97) expect(micro.after[i]).toBeCloseTo(whole.after[i], 6);
  });

  it('skips the update and says so when the loss is not finite', async () => {
    const policy = freshPolicy(8);
    policy.vars['decoder.head'].assign(tf.fill([config.dim, config.vocabSize], NaN));
    const before = await policy.vars['decoder.embed'].data();
    const adam = new Adam();
    const batch = batchOf([{ sequence: handSequence([prompt, ['<answer>seven</answer>', true]]), advantage: 1 }]);
    const r = await grpoStep(policy.vlm, policy.vars, adam, batch, 1e-3);
    expect(r.applied).toBe(false);
    expect(await policy.vars['decoder.embed'].data()).toEqual(before);
    disposeGrpoBatch(batch);
    adam.dispose();
    policy.dispose();
  });
});
