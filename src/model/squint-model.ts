/** A loaded model: config, tokenizer and network together, as the agent loop and trainers use it. */
import type { RgbaImage } from '../world/canvas';
import { type ModelConfig, inputShape } from './config';
import { imageToInput } from './preprocess';
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

  get questionFirst(): boolean {
    return this.config.questionFirst;
  }

  newSession(): DecodeSession {
    return new DecodeSession(this.vlm);
  }

  /** Image → the model's input [rows·dim] for one image block (patches or conv windows). */
  patches(image: RgbaImage): Float32Array {
    return imageToInput(image, this.config);
  }

  /** [rows, dim] of one image's input (config.inputShape). */
  get patchShape(): [number, number] {
    return inputShape(this.config);
  }

  dispose(): void {
    for (const t of Object.values(this.vlm.weights)) t.dispose();
  }
}
