/**
 * Incremental decoding with a KV cache. Text and image blocks are appended as they come (the
 * question image first, each crop mid-episode); every append returns the logits of the last
 * position as a plain Float32Array. The session owns its cache tensors: call dispose().
 */
import * as tf from './tf';
import type { LayerCache } from './ops';
import { type Vlm, cellsOneHot } from './vlm';
import { DETECT_DIM, FINE_SUBCELLS, inputShape } from './config';

export class DecodeSession {
  private readonly model: Vlm;
  private cache: LayerCache[] | undefined;
  private tokens = 0;
  /** Grid cell of every position so far (-1 for text), for a model with the pointer or readout. */
  private cells: number[] = [];
  /** [1, positions, C]: every position's image token (zero for text), for a model with the readout. */
  private imageTokens: tf.Tensor3D | null = null;
  /** [1, positions, 4·D]: every position's fine detector keys (zero for text), for a model with the fine detector. */
  private fineKeys: tf.Tensor3D | null = null;
  /** The same of the aim pathway's keys, for a model with it. */
  private aimKeys: tf.Tensor3D | null = null;

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
      return { x, image: null, fine: null, aim: null };
    }, ids.map(() => -1));
  }

  /** Appends one image block from its model input [rows·dim] (config.inputShape). @returns logits after its last token. */
  async appendImage(patches: Float32Array): Promise<Float32Array> {
    const [rows, dim] = inputShape(this.model.config);
    if (patches.length !== rows * dim) throw new Error(`an image block needs ${rows}×${dim} input values, got ${patches.length}`);
    return this.append(() => {
      const p = tf.tensor3d(patches, [1, rows, dim]);
      const { tokens: image, fine, aim } = this.model.encodeImagesWithFineKeys(p); // [1, K, C], [1, K, 4·D] or null
      const marker = this.model.embedIds(tf.tensor2d([this.model.imageTokenId], [1, 1], 'int32')); // [1, 1, C]
      return { x: image.add(marker) as tf.Tensor3D, image, fine, aim };
    }, Array.from({ length: this.model.tokensPerImage }, (_, k) => k));
  }

  /** `embed` gives the new positions' embeddings and, for an image block, its tokens as projected and its 4-px cells' keys. */
  private async append(embed: () => { x: tf.Tensor3D; image: tf.Tensor3D | null; fine: tf.Tensor3D | null; aim: tf.Tensor3D | null }, cells: readonly number[]): Promise<Float32Array> {
    const past = this.cache;
    const start = this.tokens;
    const { pointer, readout, fineDetector, fineAim } = this.model.config;
    const allCells = [...this.cells, ...cells];
    let present: LayerCache[] = [];
    let imageTokens: tf.Tensor3D | null = null;
    let fineKeys: tf.Tensor3D | null = null;
    let aimKeys: tf.Tensor3D | null = null;
    // every position's entry so far plus the new ones (zeros for text), kept for the next append
    const extended = (kept: tf.Tensor3D | null, added: tf.Tensor3D | null, shape: [number, number, number]) => {
      const rows = added ?? (tf.zeros(shape) as tf.Tensor3D);
      return tf.keep(kept ? (tf.concat([kept, rows], 1) as tf.Tensor3D) : rows);
    };
    const run = () => tf.tidy(() => {
      const { x, image, fine, aim } = embed();
      const T = x.shape[1];
      if (readout) imageTokens = extended(this.imageTokens, image, [1, T, this.model.config.dim]);
      if (fineDetector) fineKeys = extended(this.fineKeys, fine, [1, T, FINE_SUBCELLS * DETECT_DIM]);
      if (fineAim) aimKeys = extended(this.aimKeys, aim, [1, T, FINE_SUBCELLS * DETECT_DIM]);
      const perCell = (k: tf.Tensor3D | null) => (k ? (k.reshape([1, -1, DETECT_DIM]) as tf.Tensor3D) : null); // [1, positions·4, D]
      const keys = pointer || readout ? { cells: cellsOneHot(allCells, this.model.tokensPerImage), tokens: imageTokens, fine: perCell(fineKeys), aim: perCell(aimKeys) } : undefined;
      const out = this.model.decode(x, start, past, keys);
      present = out.present;
      for (const layer of present) tf.keep(layer.k), tf.keep(layer.v);
      const last = tf.slice(out.hidden, [0, T - 1, 0], [1, 1, -1]) as tf.Tensor3D;
      return this.model.logits(last).reshape([-1]);
    });
    let logits: tf.Tensor;
    try {
      logits = run();
    } catch (e) {
      // kept for the next append, which will not come
      (imageTokens as tf.Tensor3D | null)?.dispose();
      (fineKeys as tf.Tensor3D | null)?.dispose();
      (aimKeys as tf.Tensor3D | null)?.dispose();
      throw e;
    }
    this.releaseCache();
    this.cache = present;
    this.tokens = present[0].k.shape[2];
    this.cells = allCells;
    this.imageTokens = imageTokens;
    this.fineKeys = fineKeys;
    this.aimKeys = aimKeys;
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
    this.fineKeys?.dispose();
    this.fineKeys = null;
    this.aimKeys?.dispose();
    this.aimKeys = null;
  }

  dispose(): void {
    this.releaseCache();
    this.tokens = 0;
  }
}
