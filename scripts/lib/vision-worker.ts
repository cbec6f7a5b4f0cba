/**
 * Worker thread for pretrain-vision and train:sft's reader views (view-source.ts is its other
 * side): renders scenes, cuts the views and answers each {seeds} request with patches and dense
 * labels (buffers transferred), so the main thread's core only trains.
 */
import { parentPort } from 'node:worker_threads';
import type { ModelConfig } from '../../src/model/config';
import { imageToInput } from '../../src/model/preprocess';
import { cropImage } from '../../src/agent/crop';
import { sampleImage } from '../../src/agent/episode-image';
import { visionLabels } from '../../src/train/vision-labels';
import { globalScaleViews, pretrainViews, readerViews } from '../../src/train/vision-views';
import { generateSample } from '../../src/world/generate';
import { createNodeCanvas } from '../../src/world/node-canvas';
import { createRng, hashSeed } from '../../src/world/rng';
import type { WorldOptions } from '../../src/world/types';
import { pickWorld } from './training-mix';

export interface VisionWorkerSetup {
  readonly config: ModelConfig;
  readonly world: WorldOptions;
  readonly cropsPerScene: number;
  /**
   * Which views: pre-training's mix (the global view and crops at every scale), final-zoom crops
   * (train:sft --reader-views) or crops at the global view's scale (--reader-scale global).
   */
  readonly views?: 'pretrain' | 'reader' | 'global-scale';
}

let setup: VisionWorkerSetup | null = null;

parentPort!.on('message', (msg: { setup?: VisionWorkerSetup; seeds?: number[] }) => {
  if (msg.setup) {
    setup = msg.setup;
    return;
  }
  if (!setup || !msg.seeds) return;
  const { config, cropsPerScene } = setup;
  const cut = { pretrain: pretrainViews, reader: readerViews, 'global-scale': globalScaleViews }[setup.views ?? 'pretrain'];
  const patches: Float32Array[] = [];
  const labels: Float32Array[] = [];
  for (const seed of msg.seeds) {
    const sample = generateSample(seed, pickWorld(seed, setup.world));
    const image = sampleImage(sample, createNodeCanvas);
    for (const box of cut(createRng(hashSeed(seed, 11)), sample.scene, cropsPerScene)) {
      patches.push(imageToInput(cropImage(image.canvas, box, createNodeCanvas), config));
      labels.push(visionLabels(sample.scene, box, config.imageSize, config.patchSize, config.merge));
    }
  }
  parentPort!.postMessage({ patches, labels }, [...patches, ...labels].map((a) => a.buffer as ArrayBuffer));
});
