/**
 * Worker thread for pretrain-vision and train:sft's reader views (view-source.ts is its other
 * side): renders scenes, cuts the views and answers each {seeds} request with patches and dense
 * labels (and, for global-scale views, the centred object's shape; buffers transferred), so the main thread's core only trains.
 */
import { parentPort } from 'node:worker_threads';
import type { ModelConfig } from '../../src/model/config';
import { imageToInput } from '../../src/model/preprocess';
import { cropImage } from '../../src/agent/crop';
import { sampleImage } from '../../src/agent/episode-image';
import { visionLabels } from '../../src/train/vision-labels';
import { globalScaleViews, pretrainViews, readerViews } from '../../src/train/vision-views';
import { generateSample } from '../../src/world/generate';
import type { PixelBox } from '../../src/world/boxes';
import { createNodeCanvas } from '../../src/world/node-canvas';
import { createRng, hashSeed } from '../../src/world/rng';
import { SHAPES, type WorldOptions } from '../../src/world/types';
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
  const patches: Float32Array[] = [];
  const labels: Float32Array[] = [];
  const shapes: number[] = []; // global-scale views: the centred object's shape
  for (const seed of msg.seeds) {
    const sample = generateSample(seed, pickWorld(seed, setup.world));
    const image = sampleImage(sample, createNodeCanvas);
    const rng = createRng(hashSeed(seed, 11));
    const boxes: PixelBox[] = [];
    if (setup.views === 'global-scale') {
      for (const { box, object } of globalScaleViews(rng, sample.scene, cropsPerScene, config.imageSize)) {
        boxes.push(box);
        shapes.push(SHAPES.indexOf(object.shape));
      }
    } else boxes.push(...(setup.views === 'reader' ? readerViews : pretrainViews)(rng, sample.scene, cropsPerScene));
    for (const box of boxes) {
      patches.push(imageToInput(cropImage(image.canvas, box, createNodeCanvas), config));
      labels.push(visionLabels(sample.scene, box, config.imageSize, config.patchSize, config.merge));
    }
  }
  const centreShapes = setup.views === 'global-scale' ? Int32Array.from(shapes) : undefined;
  parentPort!.postMessage({ patches, labels, centreShapes }, [...patches, ...labels, ...(centreShapes ? [centreShapes] : [])].map((a) => a.buffer as ArrayBuffer));
});
