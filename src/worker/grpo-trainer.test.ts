import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '../model/tf';
import { presetConfig } from '../model/config';
import { initWeights } from '../model/init';
import { loadSquintModel } from '../model/load';
import { SquintModel } from '../model/squint-model';
import { testTokenizer } from '../agent/testing';
import { memoryFileReader } from '../storage/checkpoints';
import { createNodeCanvas } from '../world/node-canvas';
import { HELD_OUT_TARGET_VIEW, inTargetBand } from '../world/seeds';
import { GrpoTrainer, decodeOptimizer, evalSamples, promptSample } from './grpo-trainer';
import { DEFAULT_TRAIN_SETTINGS, type TrainSettings, sanitizeTrainSettings } from './train-settings';

const tok = testTokenizer();
const config = presetConfig('tiny', tok.vocabSize);
const tinyModel = (seed = 3) => new SquintModel(config, tok, initWeights(config, seed));

/**
 * A tiny model whose every token is drawn from the same few, whatever the context (final layer
 * norm gain 0, its bias a unit vector, so the logits are one row of the head): some rollouts
 * close an answer, some do not, so groups carry signal and updates happen.
 */
function answeringModel(): SquintModel {
  const w = initWeights(config, 3);
  const allowed = (['<answer>', '</answer>', '<think>', '</think>'] as const).map((t) => tok.special(t)).concat(tok.encode('7 red'));
  const head = new Float32Array(config.dim * config.vocabSize).fill(0);
  for (let v = 0; v < config.vocabSize; v++) head[v] = allowed.includes(v) ? 0 : -20;
  const replace = (name: string, t: tf.Tensor) => { w[name]!.dispose(); w[name] = t; };
  replace('decoder.ln.g', tf.zeros([config.dim]));
  replace('decoder.ln.b', tf.tidy(() => tf.oneHot([0], config.dim).reshape([config.dim]).toFloat()));
  replace('decoder.head', tf.tensor2d(head, [config.dim, config.vocabSize]));
  return new SquintModel(config, tok, w);
}
// short episodes: a random tiny model writes noise until the token limit
const settings: TrainSettings = sanitizeTrainSettings({ ...DEFAULT_TRAIN_SETTINGS, promptsPerStep: 2, groupSize: 3, maxTurns: 2, maxTokensPerTurn: 12, lr: 1e-3, evalN: 2 });

describe('GrpoTrainer (tiny preset, CPU backend)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('prompts follow the chosen families and difficulty; a scene pool cycles; eval seeds are from 1e9', () => {
    const s = sanitizeTrainSettings({ ...settings, families: ['colour'], scenePool: 2 });
    expect(promptSample(0, s).family).toBe('colour');
    expect(promptSample(0, s).seed).toBe(500_000_000);
    expect(promptSample(2, s).seed).toBe(500_000_000);
    expect(promptSample(3, s).seed).toBe(500_000_001);
    expect(promptSample(5, { ...s, scenePool: 0 }).seed).toBe(500_000_005);
    // seed 500 000 003's colour target falls in the held-out size band: replaced by a draw outside it
    const replaced = promptSample(3, { ...s, scenePool: 0 });
    expect(replaced.seed).not.toBe(500_000_003);
    expect(inTargetBand(replaced, HELD_OUT_TARGET_VIEW)).toBe(false);
    expect(replaced.family).toBe('colour');
    expect([...evalSamples(3, s)].map((x) => x.seed)).toEqual([1e9, 1e9 + 1, 1e9 + 2]);
  });

  it('a training step leaves the tensor count at its baseline (after the first, which creates Adam\'s moments)', async () => {
    const before = tf.memory().numTensors;
    const trainer = new GrpoTrainer(answeringModel(), { ...settings, rewardAccuracy: 0, rewardFormat: 1 }, createNodeCanvas);
    const first = await trainer.trainStep();
    expect(first!.step).toBe(1);
    expect(first!.stats.skippedGroups).toBeLessThan(2);
    expect(first!.loss).not.toBeNull(); // an update ran
    expect(first!.stats.rollouts).toBe(6);
    const baseline = tf.memory().numTensors;
    for (let i = 0; i < 2; i++) await trainer.trainStep();
    expect(tf.memory().numTensors).toBe(baseline);
    await trainer.evaluate(2);
    await trainer.modelFiles('# t\n');
    expect(tf.memory().numTensors).toBe(baseline);
    trainer.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('an aborted step trains nothing and does not move', async () => {
    const trainer = new GrpoTrainer(tinyModel(), settings, createNodeCanvas);
    const controller = new AbortController();
    controller.abort();
    expect(await trainer.trainStep(controller.signal)).toBeNull();
    expect(trainer.state).toEqual({ step: 0, dataCursor: 0, adamStep: 0 });
    trainer.dispose();
  });

  it('model files and optimizer state round-trip into an identical trainer (resume)', async () => {
    const trainer = new GrpoTrainer(answeringModel(), { ...settings, rewardAccuracy: 0, rewardFormat: 1 }, createNodeCanvas);
    for (let i = 0; i < 2; i++) await trainer.trainStep();
    expect(trainer.state.adamStep).toBeGreaterThan(0); // an update happened, so Adam has moments
    const files = await trainer.modelFiles('# t\n');
    const opt = await trainer.optimizerFiles();
    const model = await loadSquintModel(memoryFileReader(files));
    const optimizer = decodeOptimizer(opt.data, opt.specs);
    const resumed = new GrpoTrainer(model, settings, createNodeCanvas, { position: trainer.state, optimizer });
    for (const t of Object.values(optimizer)) t.dispose();
    expect(resumed.state).toEqual(trainer.state);
    const [a, b] = await Promise.all([trainer.modelFiles('x'), resumed.modelFiles('x')]);
    expect(b.get('weights.shard1of1.bin')).toEqual(a.get('weights.shard1of1.bin'));
    const [oa, ob] = await Promise.all([trainer.optimizerFiles(), resumed.optimizerFiles()]);
    expect(ob.data).toEqual(oa.data);
    trainer.dispose();
    resumed.dispose();
  });

  it('with a KL term the reference (the given one on resume) measures KL and is disposed with the trainer', async () => {
    const before = tf.memory().numTensors;
    const trainer = new GrpoTrainer(answeringModel(), { ...settings, klCoef: 0.1, rewardAccuracy: 0, rewardFormat: 1 }, createNodeCanvas, {
      position: { step: 4, dataCursor: 8, adamStep: 0 }, optimizer: {}, reference: answeringModel(),
    });
    const r = await trainer.trainStep();
    expect(r!.step).toBe(5);
    if (r!.loss !== null) expect(r!.kl).not.toBeNull();
    trainer.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
