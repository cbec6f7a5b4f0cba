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
  /** Grid cell of every position so far (-1 for text), for a model with the pointer or readout. */
  private cells: number[] = [];
  /** [1, positions, C]: every position's image token (zero for text), for a model with the readout. */
  private imageTokens: tf.Tensor3D | null = null;

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
    return this.append(() => {
      const x = this.model.embedIds(tf.tensor2d([...ids], [1, ids.length], 'int32'));
      return { x, image: null };
    }, ids.map(() => -1));
  }

  /** Appends one image block from its model input [rows·dim] (config.inputShape). @returns logits after its last token. */
  async appendImage(patches: Float32Array): Promise<Float32Array> {
    const [rows, dim] = inputShape(this.model.config);
    if (patches.length !== rows * dim) throw new Error(`an image block needs ${rows}×${dim} input values, got ${patches.length}`);
    return this.append(() => {
      const p = tf.tensor3d(patches, [1, rows, dim]);
      const image = this.model.encodeImages(p); // [1, K, C]
      const marker = this.model.embedIds(tf.tensor2d([this.model.imageTokenId], [1, 1], 'int32')); // [1, 1, C]
      return { x: image.add(marker) as tf.Tensor3D, image };
    }, Array.from({ length: this.model.tokensPerImage }, (_, k) => k));
  }

  /** `embed` gives the new positions' embeddings and, for an image block, its tokens as projected. */
  private async append(embed: () => { x: tf.Tensor3D; image: tf.Tensor3D | null }, cells: readonly number[]): Promise<Float32Array> {
    const past = this.cache;
    const start = this.tokens;
    const { pointer, readout } = this.model.config;
    const allCells = [...this.cells, ...cells];
    let present: LayerCache[] = [];
    let imageTokens: tf.Tensor3D | null = null;
    const run = () => tf.tidy(() => {
      const { x, image } = embed();
      if (readout) {
        const added = image ?? (tf.zeros(x.shape) as tf.Tensor3D);
        imageTokens = tf.keep(this.imageTokens ? (tf.concat([this.imageTokens, added], 1) as tf.Tensor3D) : added);
      }
      const keys = pointer || readout ? { cells: cellsOneHot(allCells, this.model.tokensPerImage), tokens: imageTokens } : undefined;
      const out = this.model.decode(x, start, past, keys);
      present = out.present;
      for (const layer of present) tf.keep(layer.k), tf.keep(layer.v);
      const T = out.hidden.shape[1];
      const last = tf.slice(out.hidden, [0, T - 1, 0], [1, 1, -1]) as tf.Tensor3D;
      return this.model.logits(last).reshape([-1]);
    });
    let logits: tf.Tensor;
    try {
      logits = run();
    } catch (e) {
      (imageTokens as tf.Tensor3D | null)?.dispose(); // kept for the next append, which will not come
      throw e;
    }
    this.releaseCache();
    this.cache = present;
    this.tokens = present[0].k.shape[2];
    this.cells = allCells;
    this.imageTokens = imageTokens;
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
    this.imageTokens?.dispose();
    this.imageTokens = null;
  }

  dispose(): void {
    this.releaseCache();
    this.tokens = 0;
  }
}
