/** Wraps a world sample's rendered scene as the image an episode runs on. */
import type { CreateCanvas } from '../world/canvas';
import { renderScene } from '../world/render';
import type { Sample } from '../world/types';
import type { EpisodeImage } from './loop';

export function sampleImage(sample: Sample, createCanvas: CreateCanvas): EpisodeImage {
  return { size: { width: sample.scene.width, height: sample.scene.height }, canvas: renderScene(sample.scene, createCanvas), createCanvas };
}
