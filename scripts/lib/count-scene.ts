/** A count scene's global view as the encoder's input, for the count probes (probe:area-count, probe:tally). */
import type { SquintModel } from '../../src/model/squint-model';
import { letterboxResize, viewToInput } from '../../src/model/preprocess';
import { sampleImage } from '../../src/agent/episode-image';
import { letterbox } from '../../src/world/boxes';
import { context2d } from '../../src/world/canvas';
import { generateSample } from '../../src/world/generate';
import { createNodeCanvas } from '../../src/world/node-canvas';
import { seedDifficulty } from '../../src/world/seeds';

/** The count sample of `seed`, its letterboxed view as input rows, and the letterbox that maps image fractions into that view. */
export function countSceneInput(model: SquintModel, seed: number) {
  const sample = generateSample(seed, { families: ['count'], difficulty: seedDifficulty(seed) });
  const image = sampleImage(sample, createNodeCanvas);
  const full = context2d(image.canvas).getImageData(0, 0, image.size.width, image.size.height);
  const input = viewToInput(letterboxResize(full, model.config.imageSize), model.config);
  return { sample, input, letterbox: letterbox(image.size) };
}
