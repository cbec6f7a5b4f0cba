/**
 * Long-run memory: 100 episodes and 50 GRPO steps (rollouts + update) in a row leave tfjs'
 * tensor count and tensor bytes at their baseline, and the WASM heap does not grow once warm.
 *
 * The stated pool: the WASM backend's heap (a WebAssembly.Memory) grows on demand and never
 * shrinks, and its allocator keeps freed blocks for reuse. So the heap is measured after a
 * warm-up and must stay within WASM_HEAP_SLACK of that size, while tensor counts and bytes must
 * return exactly. Tiny preset (random weights) so the test runs in seconds; half the episodes
 * are steered by a script (through the real KV-cache session) so that zooms, crops and image
 * blocks mid-episode happen every time, as a random network rarely writes a valid call.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '../model/tf';
import { presetConfig } from '../model/config';
import { initWeights } from '../model/init';
import { SquintModel } from '../model/squint-model';
import { Vlm } from '../model/vlm';
import { DEFAULT_EPISODE_OPTIONS, type AgentModel, environmentOnlyIds, runEpisode } from '../agent/loop';
import { squintCall, testTokenizer } from '../agent/testing';
import { sampleImage } from '../agent/episode-image';
import { generateSample } from '../world/generate';
import { createNodeCanvas } from '../world/node-canvas';
import { Adam } from '../train/adam';
import { toVariables } from '../train/sft';
import { type GrpoOptions, disposeGrpoBatch, grpoStep, makeGrpoBatch } from './grpo';
import { rolloutGroup } from './rollout';

/** Heap growth allowed after warm-up (allocator fragmentation), as a fraction of the warm heap. */
const WASM_HEAP_SLACK = 0.1;

const tok = testTokenizer();
const config = presetConfig('tiny', tok.vocabSize);

const wasmHeapBytes = (): number => (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer.byteLength;
const usage = () => ({ tensors: tf.memory().numTensors, bytes: tf.memory().numBytes });

/**
 * The real model (real session, real tensors) whose sampled tokens are overridden by a script:
 * each turn's text is fed back token by token, so the loop zooms and answers as scripted.
 */
function steered(model: SquintModel, turns: string[]): AgentModel {
  const script = turns.flatMap((t) => tok.encode(t));
  return {
    tokenizer: model.tokenizer,
    tokensPerImage: model.tokensPerImage,
    patches: (image) => model.patches(image),
    newSession() {
      const s = model.newSession();
      let pointer = 0;
      const steer = (logits: Float32Array) => {
        const want = script[Math.min(pointer, script.length - 1)];
        logits.fill(0);
        logits[want] = 100;
        return logits;
      };
      return {
        get remaining() {
          return s.remaining;
        },
        async appendTokens(ids) {
          if (ids.length === 1 && ids[0] === script[pointer]) pointer++;
          return steer(await s.appendTokens(ids));
        },
        async appendImage(p) {
          return steer(await s.appendImage(p));
        },
        dispose: () => s.dispose(),
      };
    },
  };
}

describe('memory over long runs (WASM)', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    await tf.ready();
  });

  it('100 episodes in a row (50 sampled, 50 zooming) leave tensors and bytes at baseline', async () => {
    const model = new SquintModel(config, tok, initWeights(config, 5));
    const sample = generateSample(42, {});
    const image = sampleImage(sample, createNodeCanvas);
    const zoomer = steered(model, [`<think>I will zoom in.</think>${squintCall([20, 20, 70, 70])}`, '<think>It is red.</think><answer>red</answer>']);
    const episode = (i: number) =>
      runEpisode(i % 2 ? zoomer : model, image, sample.question, {
        ...DEFAULT_EPISODE_OPTIONS, maxTurns: 5, maxTokensPerTurn: 24, sampling: { temperature: 1, topP: 1 }, seed: i,
      });
    // warm-up: the first episodes size the WASM heap
    for (let i = 0; i < 4; i++) await episode(i);
    const baseline = usage();
    const warmHeap = wasmHeapBytes();
    let zooms = 0;
    for (let i = 0; i < 100; i++) {
      const t = await episode(i);
      zooms += t.steps.filter((s) => s.kind === 'zoom').length;
    }
    expect(zooms).toBeGreaterThanOrEqual(50); // the steered half zoomed every time
    expect(usage()).toEqual(baseline);
    expect(wasmHeapBytes()).toBeLessThanOrEqual(warmHeap * (1 + WASM_HEAP_SLACK));
    model.dispose();
  });

  it('50 GRPO steps in a row (rollouts, batch, update with a KL reference) leave tensors and bytes at baseline', async () => {
    const start = initWeights(config, 9);
    const vars = toVariables(start);
    const policy = new SquintModel(config, tok, vars);
    const reference = new Vlm(config, start, policy.vlm.imageTokenId);
    const adam = new Adam();
    const options: GrpoOptions = { clipEps: 0.2, klCoef: 0.05, temperature: 1, maskedIds: environmentOnlyIds(tok) };
    const sample = generateSample(43, {});
    const step = async (i: number) => {
      const group = await rolloutGroup(policy, sample, createNodeCanvas, {
        groupSize: 2, episode: { ...DEFAULT_EPISODE_OPTIONS, maxTurns: 2, maxTokensPerTurn: 12, sampling: { temperature: 1, topP: 1 }, seed: i },
      });
      // random weights rarely give a group signal: alternate advantages so every step updates
      const samples = group.rollouts.map((r, j) => ({ sequence: r.trajectory.sequence, advantage: j % 2 ? 1 : -1 }));
      const batch = makeGrpoBatch(samples, policy.vlm.imageTokenId, policy.tokensPerImage, tok.special('<pad>'), policy.patchShape);
      try {
        return await grpoStep(policy.vlm, vars, adam, batch, 1e-4, options, reference);
      } finally {
        disposeGrpoBatch(batch);
      }
    };
    // the first steps create Adam's moment slots and size the heap
    for (let i = 0; i < 3; i++) await step(i);
    const baseline = usage();
    const warmHeap = wasmHeapBytes();
    let applied = 0;
    for (let i = 0; i < 50; i++) applied += +(await step(100 + i)).applied;
    expect(applied).toBe(50);
    expect(usage()).toEqual(baseline);
    expect(wasmHeapBytes()).toBeLessThanOrEqual(warmHeap * (1 + WASM_HEAP_SLACK));
    adam.dispose();
    for (const t of [...Object.values(vars), ...Object.values(start)]) t.dispose();
  });
});
