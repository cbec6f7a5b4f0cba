/**
 * Incremental decoding with a KV cache. Text and image blocks are appended as they come (the
 * question image first, each crop mid-episode); every append returns the logits of the last
 * position as a plain Float32Array. The session owns its cache tensors: call dispose().
 */
import * as tf from './tf';
import type { LayerCache } from './ops';
import { type Vlm, cellsOneHot } from './vlm';
import { inputShape } from './config';

export class DecodeSession {
  private readonly model: Vlm;
  private cache: LayerCache[] | undefined;
  private tokens = 0;
  /** Grid cell of every position so far (-1 for text), for a model with the pointer. */
  private cells: number[] = [];

  constructor(model: Vlm) {
    this.model = model;
  }

  /** Positions used so far (text and image tokens). */
  get length(): number {
    return this.tokens;
  }

  get remaining(): number {
    return this.model.config.maxSeq - this.tokens;
  }

  /** Appends text token ids. @returns logits after the last one. @throws when the context is full. */
  async appendTokens(ids: readonly number[]): Promise<Float32Array> {
    if (ids.length === 0) throw new Error('appendTokens needs at least one id');
    return this.append(() => this.model.embedIds(tf.tensor2d([...ids], [1, ids.length], 'int32')), ids.map(() => -1));
  }

  /** Appends one image block from its model input [rows·dim] (config.inputShape). @returns logits after its last token. */
  async appendImage(patches: Float32Array): Promise<Float32Array> {
    const [rows, dim] = inputShape(this.model.config);
    if (patches.length !== rows * dim) throw new Error(`an image block needs ${rows}×${dim} input values, got ${patches.length}`);
    return this.append(() => {
      const p = tf.tensor3d(patches, [1, rows, dim]);
      const image = this.model.encodeImages(p); // [1, K, C]
      const marker = this.model.embedIds(tf.tensor2d([this.model.imageTokenId], [1, 1], 'int32')); // [1, 1, C]
      return image.add(marker) as tf.Tensor3D;
    }, Array.from({ length: this.model.tokensPerImage }, (_, k) => k));
  }

  private async append(embed: () => tf.Tensor3D, cells: readonly number[]): Promise<Float32Array> {
    const past = this.cache;
    const start = this.tokens;
    const allCells = [...this.cells, ...cells];
    let present: LayerCache[] = [];
    const logits = tf.tidy(() => {
      const x = embed();
      const keyCells = this.model.config.pointer ? cellsOneHot(allCells, this.model.tokensPerImage) : undefined;
      const out = this.model.decode(x, start, past, keyCells);
      present = out.present;
      for (const layer of present) tf.keep(layer.k), tf.keep(layer.v);
      const T = out.hidden.shape[1];
      const last = tf.slice(out.hidden, [0, T - 1, 0], [1, 1, -1]) as tf.Tensor3D;
      return this.model.logits(last).reshape([-1]);
    });
    this.releaseCache();
    this.cache = present;
    this.tokens = present[0].k.shape[2];
    this.cells = allCells;
    const values = (await logits.data()) as Float32Array;
    logits.dispose();
    return values;
  }

  private releaseCache(): void {
    for (const layer of this.cache ?? []) {
      layer.k.dispose();
      layer.v.dispose();
    }
    this.cache = undefined;
    this.cells = [];
  }

  dispose(): void {
    this.releaseCache();
    this.tokens = 0;
  }
}
