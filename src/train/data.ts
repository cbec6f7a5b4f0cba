/**
 * Training examples: world sample → rendered scene → oracle plan → token sequence. The canvas
 * factory is injected so the same code runs in Node (@napi-rs/canvas) and in a browser worker.
 */
import { countCropBox, cropCountSample } from '../world/crop-sample';
import { generateSample } from '../world/generate';
import { createRng, hashSeed } from '../world/rng';
import { trainingSample } from '../world/seeds';
import type { CreateCanvas } from '../world/canvas';
import { renderScene } from '../world/render';
import type { Sample, WorldOptions } from '../world/types';
import { cropCanvas } from '../agent/crop';
import { sampleImage } from '../agent/episode-image';
import type { EpisodeImage } from '../agent/loop';
import { AIM_DISTRUSTED, DEFAULT_MIX, type OracleMix, type OraclePlan, oraclePlan } from './oracle';
import { type SequenceEncoder, type TrainingSequence, planToSequence } from './sequence';
import { visionLabels } from './vision-labels';

export interface Example {
  readonly sample: Sample;
  readonly plan: OraclePlan;
  readonly sequence: TrainingSequence;
  /** Dense vision targets per image block (see vision-labels.ts). */
  readonly auxLabels: Float32Array[];
}

/** `heldOutSizes`: a target-size band (view px) replaced by other draws (seeds.trainingSample); null holds none out. */
export function makeExample(
  encoder: SequenceEncoder, seed: number, createCanvas: CreateCanvas, world: WorldOptions = {}, mix: OracleMix = DEFAULT_MIX,
  heldOutSizes: readonly [number, number] | null = null,
): Example {
  const { sample, image } = countCropped(trainingSample(seed, world, heldOutSizes), seed, mix.countCrop ?? 0, createCanvas);
  const plan = oraclePlan(sample, hashSeed(seed, 7), mix);
  const colours = sample.targetIds.map((id) => sample.scene.objects.find((o) => o.id === id)!.colour);
  const sequence = planToSequence(encoder, image, sample.question, plan, sample.targets, colours);
  // questions the aim is not trusted to steer (by default those naming their target by shape, or counting several)
  if ((mix.aimDistrusted ?? AIM_DISTRUSTED).includes(sample.family)) sequence.grounding.forEach((q, i) => q.aim && (sequence.grounding[i] = { ...q, aimTrusted: false }));
  const { imageSize, patchSize, merge } = encoder.config;
  const auxLabels = sequence.views.map((box) => visionLabels(sample.scene, box, imageSize, patchSize, merge));
  return { sample, plan, sequence, auxLabels };
}

/**
 * `sample` and its image; or with `chance` (a count only) the same count asked of a crop of its
 * scene (OracleMix.countCrop), its image cut from the whole scene's as a zoom cuts it.
 */
export function countCropped(sample: Sample, seed: number, chance: number, createCanvas: CreateCanvas): { sample: Sample; image: EpisodeImage } {
  const rng = createRng(hashSeed(seed, 11));
  if (sample.family !== 'count' || chance === 0 || !rng.chance(chance)) return { sample, image: sampleImage(sample, createCanvas) };
  const box = countCropBox(rng, sample); // at most half the shorter side, so ≤ MAX_SIDE / 2 = MAX_CROP_STORE_SIDE: cut at full resolution
  const cropped = cropCountSample(sample, box);
  const canvas = cropCanvas(renderScene(sample.scene, createCanvas), box, createCanvas);
  return { sample: cropped, image: { size: { width: cropped.scene.width, height: cropped.scene.height }, canvas, createCanvas } };
}

const CLOSER_MIX: OracleMix = { ...DEFAULT_MIX, countAreas: 'view', countCloser: 0.5 };

/** Texts the tokenizer must encode compactly: every template's words, numbers 0..100, answers. */
export function tokenizerCorpus(count: number, world: WorldOptions = {}): string[] {
  const texts: string[] = [];
  for (let seed = 0; seed < count; seed++) {
    const sample = generateSample(1_000_000 + seed, world);
    const plan = oraclePlan(sample, seed);
    texts.push(sample.question, sample.answer, ...plan.turns.map((t) => t.thought));
    // a count that looks closer has words of its own ("the top ?", "the crop shows 2")
    if (sample.family === 'count') texts.push(...oraclePlan(sample, seed, CLOSER_MIX).turns.map((t) => t.thought));
  }
  texts.push(Array.from({ length: 101 }, (_, i) => i).join(','));
  texts.push('Error: the box is too small. Error: the box lies outside the image. Error: the tool call is not valid JSON.');
  return texts;
}
