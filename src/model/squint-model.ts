/** A loaded model: config, tokenizer and network together, as the agent loop and trainers use it. */
import type { RgbaImage } from '../world/canvas';
import { type ModelConfig, patchCount, patchDim } from './config';
import { imageToPatches } from './preprocess';
import { DecodeSession } from './session';
import { SquintTokenizer } from './tokenizer';
import { Vlm, type WeightMap } from './vlm';

export class SquintModel {
  readonly config: ModelConfig;
  readonly tokenizer: SquintTokenizer;
  readonly vlm: Vlm;

  /** @throws when the tokenizer and config disagree on the vocabulary size. */
  constructor(config: ModelConfig, tokenizer: SquintTokenizer, weights: WeightMap) {
    if (tokenizer.vocabSize !== config.vocabSize) {
      throw new Error(`tokenizer has ${tokenizer.vocabSize} tokens but the config says vocabSize ${config.vocabSize}`);
    }
    this.config = config;
    this.tokenizer = tokenizer;
    this.vlm = new Vlm(config, weights, tokenizer.special('<image>'));
  }

  get tokensPerImage(): number {
    return this.vlm.tokensPerImage;
  }

  newSession(): DecodeSession {
    return new DecodeSession(this.vlm);
  }

  /** Image → patches [P·patchDim] for one image block. */
  patches(image: RgbaImage): Float32Array {
    return imageToPatches(image, this.config);
  }

  get patchShape(): [number, number] {
    return [patchCount(this.config), patchDim(this.config)];
  }

  dispose(): void {
    for (const t of Object.values(this.vlm.weights)) t.dispose();
  }
}
