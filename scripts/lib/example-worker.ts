/**
 * Worker thread that renders scenes and builds training sequences, so the main thread's core
 * only trains (WASM in Node is single-threaded). Receives {tokenizerJson, config, world, mix},
 * then answers each {seeds} request with the examples' sequences (buffers transferred).
 */
import { parentPort } from 'node:worker_threads';
import type { ModelConfig } from '../../src/model/config';
import { imageTokens } from '../../src/model/config';
import { imageToInput } from '../../src/model/preprocess';
import { SquintTokenizer } from '../../src/model/tokenizer';
import { makeExample } from '../../src/train/data';
import { emphasiseGrounded } from '../../src/train/grounding';
import type { OracleMix } from '../../src/train/oracle';
import type { SequenceEncoder } from '../../src/train/sequence';
import type { Family, WorldOptions } from '../../src/world/types';
import { createNodeCanvas } from '../../src/world/node-canvas';
import { pickWorld } from './training-mix';

export interface WorkerSetup {
  readonly tokenizerJson: object;
  readonly config: ModelConfig;
  readonly world: WorldOptions;
  readonly mix: OracleMix;
  /** Loss weight of the tokens grounding queries predict (emphasiseGrounded); 1 leaves them as they are. */
  readonly groundedWordWeight: number;
  /** Weight of a count scan entry's even-split grounding term (countPeaks models; 1 as groundingQueries sets it). */
  readonly splitWeight: number;
  /** Target sizes (view px) kept out of training, or null. */
  readonly heldOutSizes: readonly [number, number] | null;
  /** How often each family is drawn (training-mix.ts). */
  readonly familyWeights: Record<Family, number>;
}

let encoder: SequenceEncoder | null = null;
let setup: WorkerSetup | null = null;

parentPort!.on('message', (msg: { setup?: WorkerSetup; seeds?: number[] }) => {
  if (msg.setup) {
    setup = msg.setup;
    const config = setup.config;
    encoder = { config, tokenizer: new SquintTokenizer(setup.tokenizerJson), tokensPerImage: imageTokens(config), patches: (img) => imageToInput(img, config) };
    return;
  }
  if (!encoder || !setup || !msg.seeds) return;
  const out = msg.seeds.map((seed) => {
    const ex = makeExample(encoder!, seed, createNodeCanvas, pickWorld(seed, setup!.world, setup!.familyWeights), setup!.mix, setup!.heldOutSizes);
    const weights = emphasiseGrounded(ex.sequence.weights, ex.sequence.grounding, setup!.groundedWordWeight);
    const grounding = ex.sequence.grounding.map((q) => (q.split ? { ...q, split: q.split * setup!.splitWeight } : q));
    return { seed, ids: ex.sequence.ids, weights, images: ex.sequence.images, auxLabels: ex.auxLabels, grounding, kind: ex.plan.kind, family: ex.sample.family };
  });
  parentPort!.postMessage(out, out.flatMap((e) => [...e.images, ...e.auxLabels].map((a) => a.buffer as ArrayBuffer)));
});
