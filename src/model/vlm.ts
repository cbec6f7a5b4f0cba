/**
 * Squint's vision-language model: a ViT-style encoder over a 64×64 letterboxed view, a 2×2 patch
 * merger + MLP projector into the decoder's width, and a decoder-only transformer whose sequence
 * interleaves text tokens with image-token blocks (question image first, each crop appended
 * mid-sequence). No I/O here: weights come in as a name → tensor map (see weights/).
 */
import * as tf from './tf';
import { AIM_FLOOR, AIM_UNSEEN, CONV_WINDOW, DETECT_DIM, FINE_SUBCELLS, GROUND_HEAD, LADDER_SHARPNESS, LADDER_STEPS, type ModelConfig, groundLayer, imageTokens, inputShape } from './config';
import { type LayerCache, causalMask, constantTimes, dense, fastMatMul, gelu, layerNorm, transformerBlock } from './ops';

export type WeightMap = Record<string, tf.Tensor>;

/** What the decoder returns; the detections are null unless the config has those detectors (and keys were passed). */
export interface DecodeResult {
  readonly hidden: tf.Tensor3D;
  readonly present: LayerCache[];
  readonly attention: tf.Tensor4D[];
  /** [B, T, Tk]: the count detector's scores (countDetector). */
  readonly detection: tf.Tensor3D | null;
  /** [B, T, Tk·4]: the fine detector's scores (fineDetector). */
  readonly fineDetection: tf.Tensor3D | null;
  /** [B, T, 1]: the count gate (countGate; for probes). */
  readonly gate: tf.Tensor3D | null;
  /** [B, T, Tk·4]: the aim pathway's distribution over the 4-px cells (fineAim), the fine detector's column order. */
  readonly aim: tf.Tensor3D | null;
  /** [B, T, 1]: the aim's trust (aimTrust), for its loss. */
  readonly aimTrust: tf.Tensor3D | null;
}

/** What the grounding head's pointer and readout read at every key position (see Vlm.point). */
export interface PointerKeys {
  /** [B, Tk, K]: the key's grid cell, one-hot; zero rows for text. */
  readonly cells: tf.Tensor3D;
  /** [B, Tk, C]: the key's image token as projected; zero rows for text. Needed with `readout`. */
  readonly tokens: tf.Tensor3D | null;
  /** [B, Tk·4, DETECT_DIM]: the fine detector's keys, four per key position (fineDetectKeys); zero rows for text. Needed with `fineDetector`. */
  readonly fine?: tf.Tensor3D | null;
  /** [B, Tk·4, DETECT_DIM]: the aim pathway's keys, in the same order (aimKeys); zero rows for text. Needed with `fineAim`. */
  readonly aim?: tf.Tensor3D | null;
}

export interface TrainBatch {
  /** Token ids [B, T]; image positions hold the `<image>` id. */
  readonly ids: tf.Tensor2D;
  /** Every image's model input, [N, rows, dim] (config.inputShape; preprocess.ts builds it). */
  readonly patches: tf.Tensor3D | null;
  /** One-hot placement [B·T, N·tokensPerImage]: row r has a 1 where image token r comes from. */
  readonly placement: tf.Tensor2D | null;
}

export class Vlm {
  readonly config: ModelConfig;
  readonly weights: WeightMap;
  /** Id of `<image>`: its embedding is added to every image token as a type marker. */
  readonly imageTokenId: number;
  readonly tokensPerImage: number;

  constructor(config: ModelConfig, weights: WeightMap, imageTokenId: number) {
    this.config = config;
    this.weights = weights;
    this.imageTokenId = imageTokenId;
    this.tokensPerImage = imageTokens(config);
  }

  /** Vision encoder over the images' input [N, rows, dim] → patch features [N, P, Cv]. */
  encodePatches(input: tf.Tensor3D): tf.Tensor3D {
    return this.encode(input).features;
  }

  /**
   * The encoder's patch features, the colour pool's features [N, P, Cp] (null without one) and,
   * for the fine detector, each 4-px cell's stem features and colour pool [N·(S/4)², C2 + Cp]
   * (null without it): computed once here, they feed both the patches and the fine keys.
   */
  encode(input: tf.Tensor3D): { features: tf.Tensor3D; pooled: tf.Tensor3D | null; fineCells: tf.Tensor2D | null } {
    const c = this.config;
    const w = this.weights;
    const n = input.shape[0];
    const cells = c.stem === 'conv' ? this.stemCells(input) : null; // [N·(S/4)², C2]
    const pool4 = c.fineDetector ? this.colourPoolCells(input, 4) : null; // [N·(S/4)², Cp]
    // 1. patch embedding (a linear map of each patch, or the conv stem's last layer) + learned positions
    const embedded = cells ? this.convStem(cells, n) : dense(input, w['vision.patch.w'], w['vision.patch.b']);
    let x = embedded.add(w['vision.pos']) as tf.Tensor3D; // [N, P, Cv]
    // 1b. plus the colour pool, projected (its projection starts at zero); max over 8 px = max over the 4-px cells' maxes
    const pooledCells = pool4 ? maxPool2x2(pool4, n, c.imageSize / 4) : c.colourPool > 0 ? this.colourPoolCells(input, c.patchSize) : null;
    const pooled = pooledCells ? this.tokenOrder(pooledCells, n) : null;
    if (pooled) x = x.add(dense(pooled, w['vision.pool.out'])) as tf.Tensor3D;
    // 2. bidirectional transformer over the patches
    for (let i = 0; i < c.visionLayers; i++) x = transformerBlock(x, w, `vision.block${i}`, c.visionHeads, null).out;
    const fineParts = cells && pool4 ? [cells, pool4, ...(c.finePixels ? [this.finePixelCells(input)] : [])] : null;
    const fineCells = fineParts ? (tf.concat(fineParts, -1) as tf.Tensor2D) : null;
    return { features: layerNorm(x, w['vision.ln.g'], w['vision.ln.b']) as tf.Tensor3D, pooled, fineCells };
  }

  /**
   * The conv stem's last layer: its 4-px cells (stemCells) of N views → patch features [N, P, Cv]
   * in the projector's order (merge-contiguous as preprocess.patchify makes it for merge 2,
   * row-major for merge 1). The stem is a 4×4/2 convolution (its im2col done in preprocessing),
   * then two 2×2/2 convolutions, each a space-to-depth reshape + matMul; ReLU between, linear at
   * the end like a patch embedding.
   */
  private convStem(cells: tf.Tensor2D, n: number): tf.Tensor3D {
    const x = this.stemLayer(spaceToDepth(cells, n, this.config.imageSize / 4), 'vision.stem3'); // [N·(S/8)², Cv], row-major grid
    return this.tokenOrder(x, n);
  }

  /**
   * The conv stem's first two layers: conv windows [N, (S/2)², 48] → [N·(S/4)², C2], one row per
   * 4-px cell, row-major (each sees its own 4×4 px and one more on every side). The last layer
   * merges four of these into a patch; probe:tally reads them as they are.
   */
  stemCells(input: tf.Tensor3D): tf.Tensor2D {
    const x = tf.relu(this.stemLayer(input, 'vision.stem1')); // [N·(S/2)², C1]
    return tf.relu(this.stemLayer(spaceToDepth(x, input.shape[0], this.config.imageSize / 2), 'vision.stem2')) as tf.Tensor2D;
  }

  private stemLayer(x: tf.Tensor, name: string): tf.Tensor2D {
    const w = this.weights;
    return dense(x.reshape([-1, w[`${name}.w`].shape[0]]), w[`${name}.w`], w[`${name}.b`]) as tf.Tensor2D;
  }

  /**
   * A row-major patch grid [N·G², C] → [N, G², C] in the order the projector reads: with merge 2,
   * one more space-to-depth puts each 2×2 merge group's patches next to each other; with merge 1
   * every patch is its own token, row-major.
   */
  private tokenOrder(x: tf.Tensor, n: number): tf.Tensor3D {
    const grid = this.config.imageSize / this.config.patchSize;
    return (this.config.merge === 1 ? x : spaceToDepth(x, n, grid)).reshape([n, grid * grid, -1]) as tf.Tensor3D;
  }

  /**
   * Conv windows [N, (S/2)², 48] → the colour pool's features [N, P, Cp] (merge-contiguous order):
   * a two-layer ReLU MLP on every single pixel, max-pooled over each 8-px patch. Per pixel and a
   * max, because a speck of one or two view pixels is a tenth of a 4×4 stem window and vanishes
   * in any sum; its own pixels still carry its colour. Training reads these features directly
   * (a colour-presence head, src/train/aux-head.ts), the encoder through vision.pool.out.
   */
  colourPoolFeatures(input: tf.Tensor3D): tf.Tensor3D {
    return this.tokenOrder(this.colourPoolCells(input, this.config.patchSize), input.shape[0]); // the patch features' order
  }

  /**
   * The colour pool's per-pixel features max-pooled over square cells of `cellPx` view px (2, 4,
   * 8…, at most a patch) → [N·(S/cellPx)², Cp], row-major.
   */
  colourPoolCells(input: tf.Tensor3D, cellPx: number): tf.Tensor2D {
    const w = this.weights;
    const n = input.shape[0];
    const half = this.config.imageSize / 2;
    const inner = viewPixels(input);
    const hidden = tf.relu(dense(inner, w['vision.pool.w1'], w['vision.pool.b1']));
    const perPixel = tf.relu(dense(hidden, w['vision.pool.w2'], w['vision.pool.b2'])); // [N·(S/2)²·4, Cp]
    let cells = perPixel.reshape([n * half * half, 4, -1]).max(1) as tf.Tensor2D; // [N·(S/2)², Cp]: 2-px cells
    for (let side = half; side > this.config.imageSize / cellPx; side /= 2) cells = maxPool2x2(cells, n, side);
    return cells;
  }

  /**
   * Each 4-px cell's own 16 view pixels for the fine detector's keys (finePixels): their RGB and
   * decoder.detect.fine.pixel's ReLU features → [N·(S/4)², finePixelCellDim], row-major cells.
   */
  finePixelCells(input: tf.Tensor3D): tf.Tensor2D {
    const w = this.weights;
    const pixels = viewPixels(input); // [N·(S/2)²·4, 3]: each 2-px cell's four pixels together
    const features = tf.concat([pixels, tf.relu(dense(pixels, w['decoder.detect.fine.pixel.w'], w['decoder.detect.fine.pixel.b']))], -1);
    const half = this.config.imageSize / 2;
    return spaceToDepth(features, input.shape[0], half).reshape([-1, 4 * 4 * features.shape[1]!]) as tf.Tensor2D;
  }

  /**
   * The fine detector's keys (fineDetector): the 4-px cells' features of N views (encode's
   * fineCells) → [N, K, 4·D], each image token's four 4-px cells in row, column order. A cell's
   * key: its stem features and 4-px colour pool, layer-normalised and reduced, plus its learned
   * position, concatenated with its 3×3 neighbourhood's (zero past the view's edge; an object's
   * centre cell is told by its neighbours), through a ReLU MLP.
   */
  fineDetectKeys(cells: tf.Tensor2D, n: number): tf.Tensor3D {
    const w = this.weights;
    const side = this.config.imageSize / 4;
    // encode appends the cell's pixels (finePixels) after the features its layer norm covers
    const featureDim = w['decoder.detect.fine.ln.g'].shape[0];
    const features = this.config.finePixels ? cells.slice([0, 0], [-1, featureDim]) : cells;
    const normed = layerNorm(features, w['decoder.detect.fine.ln.g'], w['decoder.detect.fine.ln.b']);
    let cellReduced = dense(normed, w['decoder.detect.fine.reduce']);
    if (this.config.finePixels) cellReduced = cellReduced.add(dense(cells.slice([0, featureDim], [-1, -1]), w['decoder.detect.fine.pixels']));
    const reduced = cellReduced.reshape([n, side * side, -1]).add(w['decoder.detect.fine.pos']);
    const context = neighbourhood(reduced, n, side); // [N·side², 9R]
    const hidden = tf.relu(dense(context, w['decoder.detect.fine.w1'], w['decoder.detect.fine.b1']));
    const keys = dense(hidden, w['decoder.detect.fine.w2'], w['decoder.detect.fine.b2']); // [N·side², D], row-major
    return spaceToDepth(keys, n, side).reshape([n, this.tokensPerImage, FINE_SUBCELLS * DETECT_DIM]) as tf.Tensor3D;
  }

  /**
   * The aim pathway's keys (fineAim): the 4-px cells' features of N views (encode's fineCells,
   * their pixels included) → [N, K, 4·D] in fineDetectKeys' order. No position: the aim asks
   * only which cells show the named colour or shape. Each cell on its own, or with aimReach its
   * 3×3 neighbourhood's hidden features too, since a shape spans several cells.
   */
  aimKeys(cells: tf.Tensor2D, n: number): tf.Tensor3D {
    const w = this.weights;
    const side = this.config.imageSize / 4;
    const featureDim = w['decoder.aim.ln.g'].shape[0];
    const normed = layerNorm(cells.slice([0, 0], [-1, featureDim]), w['decoder.aim.ln.g'], w['decoder.aim.ln.b']);
    const pixels = cells.slice([0, featureDim], [-1, -1]);
    let hidden = tf.relu(dense(normed, w['decoder.aim.reduce']).add(dense(pixels, w['decoder.aim.pixels'])).add(w['decoder.aim.b1']));
    if (this.config.aimReach) {
      const reach = tf.relu(dense(neighbourhood(hidden, n, side), w['decoder.aim.reach.w1'], w['decoder.aim.reach.b1']));
      hidden = hidden.add(dense(reach, w['decoder.aim.reach.w2'])); // reach.w2 grows from zero
    }
    const keys = dense(hidden, w['decoder.aim.w2'], w['decoder.aim.b2']); // [N·side², D], row-major
    return spaceToDepth(keys, n, side).reshape([n, this.tokensPerImage, FINE_SUBCELLS * DETECT_DIM]) as tf.Tensor3D;
  }

  /**
   * Patch features [N, P, Cv] (and the colour pool's [N, P, Cp] where the config routes it to the
   * tokens) → decoder-width image tokens [N, K, C].
   */
  projectPatches(features: tf.Tensor3D, pooled: tf.Tensor3D | null = null): tf.Tensor3D {
    const c = this.config;
    const w = this.weights;
    const [n] = features.shape;
    // 3. merge each 2×2 group (contiguous by construction of the patch order) into one token
    const merged = features.reshape([n, this.tokensPerImage, c.merge * c.merge * c.visionDim]); // [N, K, 4·Cv]
    // 4. project into the decoder's width
    let tokens = dense(gelu(dense(merged, w['projector.w1'], w['projector.b1'])), w['projector.w2'], w['projector.b2']) as tf.Tensor3D; // [N, K, C]
    // 4b. plus the merged colour pool, linearly: a speck's colour reaches the decoder unmixed
    if (c.poolTokens) {
      if (!pooled) throw new Error('this model routes its colour pool to the image tokens: pass the pooled features');
      tokens = tokens.add(dense(pooled.reshape([n, this.tokensPerImage, -1]), w['projector.pool']));
    }
    // 4c. plus each token's grid position, at a scale the decoder can read beside the content
    if (c.tokenPositions) tokens = tokens.add(w['projector.pos']);
    return tokens;
  }

  /** Views → decoder-width image tokens. patches [N, P, patchDim] → [N, K, C]. */
  encodeImages(patches: tf.Tensor3D): tf.Tensor3D {
    return this.encodeImagesWithFineKeys(patches).tokens;
  }

  /**
   * Views → decoder-width image tokens [N, K, C] and their 4-px cells' keys [N, K, 4·D]: the fine
   * detector's (null without one) and the aim pathway's (null without one).
   */
  encodeImagesWithFineKeys(patches: tf.Tensor3D): { tokens: tf.Tensor3D; fine: tf.Tensor3D | null; aim: tf.Tensor3D | null } {
    const { features, pooled, fineCells } = this.encode(patches);
    const n = patches.shape[0];
    return {
      tokens: this.projectPatches(features, pooled),
      fine: fineCells ? this.fineDetectKeys(fineCells, n) : null,
      aim: fineCells && this.config.fineAim ? this.aimKeys(fineCells, n) : null,
    };
  }

  /**
   * Decoder over input embeddings x [B, T, C] at positions start.. (with cache `past`), the
   * attention weights [B, H, T, Tk] of each layer (training reads one for the grounding loss) and
   * a countDetector model's detector scores [B, T, Tk] and a fineDetector model's [B, T, Tk·4]
   * (null otherwise; for the detection losses).
   * `keys`: every key position's grid cell and image token, for the pointer and readout; omitted
   * means no key is an image token.
   */
  decode(x: tf.Tensor3D, start: number, past?: LayerCache[], keys?: PointerKeys): DecodeResult {
    const c = this.config;
    const w = this.weights;
    const T = x.shape[1];
    if (start + T > c.maxSeq) throw new Error(`sequence of ${start + T} tokens exceeds the model's maxSeq ${c.maxSeq}`);
    let h = x.add(tf.slice(w['decoder.pos'], [start, 0], [T, c.dim])) as tf.Tensor3D; // [B, T, C]
    const mask = causalMask(T, start);
    const present: LayerCache[] = [];
    const attention: tf.Tensor4D[] = [];
    let detection: tf.Tensor3D | null = null;
    let fineDetection: tf.Tensor3D | null = null;
    let gate: tf.Tensor3D | null = null;
    let aim: tf.Tensor3D | null = null;
    let aimTrust: tf.Tensor3D | null = null;
    for (let i = 0; i < c.layers; i++) {
      const grounding = (c.pointer || c.readout) && keys && i === groundLayer(c.layers);
      let blockMask: tf.Tensor = mask;
      if (grounding && c.fineAim) {
        // the aim reads the stream the grounding layer gets, and may steer its grounding head
        aim = this.aimAt(h, keys, mask);
        if (c.aimTrust) aimTrust = tf.sigmoid(dense(rmsNormed(h), w['decoder.aim.trust.w']).add(w['decoder.aim.trust.b'])) as tf.Tensor3D;
        if (c.aimSteer) blockMask = this.steeredMask(mask, aim, keys, aimTrust);
      }
      const r = transformerBlock(h, w, `decoder.block${i}`, c.heads, blockMask, past?.[i]);
      h = r.out;
      if (grounding) {
        if (c.countDetector) detection = this.detect(h, keys, mask);
        if (c.fineDetector) fineDetection = this.detectFine(h, keys, mask);
        if (c.countGate) gate = this.countGate(h);
        h = h.add(this.point(r.attention, keys));
        if (aim) h = h.add(this.aimed(aim, keys));
        if (detection) {
          let sum = detection.sum(-1, true) as tf.Tensor3D;
          if (fineDetection) {
            // the fine sum blends in as mix grows from zero, and only where the gate opens
            let blend = fineDetection.sum(-1, true).sub(sum).mul(w['decoder.detect.fine.mix']);
            if (gate) blend = blend.mul(gate);
            sum = sum.add(blend);
          }
          h = h.add(this.detectedCount(sum, gate));
        }
      }
      present.push(r.present);
      attention.push(r.attention);
    }
    return { hidden: layerNorm(h, w['decoder.ln.g'], w['decoder.ln.b']) as tf.Tensor3D, present, attention, detection, fineDetection, gate, aim, aimTrust };
  }

  /**
   * The detector's sum s [B, T, 1] as the residual stream gets it → [B, T, C]: s times
   * decoder.detect.out, plus with countLadder the steps "at least k" for k = 1..LADDER_STEPS times
   * the rows of decoder.detect.ladder (scaled by the count gate where there is one), plus with
   * ladderBias the gate times decoder.detect.ladder.bias.
   */
  detectedCount(sum: tf.Tensor3D, gate: tf.Tensor3D | null = null): tf.Tensor3D {
    const w = this.weights;
    const out = dense(sum, w['decoder.detect.out']) as tf.Tensor3D;
    if (!this.config.countLadder) return out;
    const thresholds = tf.range(0.5, LADDER_STEPS, 1); // k − 0.5 for k = 1..LADDER_STEPS
    let steps = tf.sigmoid(sum.sub(thresholds).mul(LADDER_SHARPNESS)); // [B, T, LADDER_STEPS]
    if (gate) steps = steps.mul(gate);
    let count = out.add(dense(steps, w['decoder.detect.ladder']));
    // the gated bias row speaks where the sum reaches no step (an area holding none)
    if (this.config.ladderBias && gate) count = count.add(gate.mul(w['decoder.detect.ladder.bias']));
    return count as tf.Tensor3D;
  }

  /** The count gate (countGate): each position's own sigmoid [B, T, 1], read from the same RMS-normed stream as the detector's queries. */
  countGate(h: tf.Tensor3D): tf.Tensor3D {
    const w = this.weights;
    return tf.sigmoid(dense(rmsNormed(h), w['decoder.detect.gate.w']).add(w['decoder.detect.gate.bias'])) as tf.Tensor3D;
  }

  /**
   * The count detector (countDetector): every position's own sigmoid score for each image token it
   * can see, [B, T, Tk], zero at text keys and at keys after the position. Scores do not compete,
   * so their sum over the tokens is a count; decode adds it to the residual stream.
   */
  detect(h: tf.Tensor3D, keys: PointerKeys, mask: tf.Tensor2D): tf.Tensor3D {
    if (!keys.tokens) throw new Error('this model detects on the image tokens: pass them');
    const k = dense(keys.tokens, this.weights['decoder.detect.k']) as tf.Tensor3D; // [B, Tk, D]
    return this.detectScores(h, 'decoder.detect', k, keys, mask, 1);
  }

  /**
   * The fine detector (fineDetector): as detect, over the four 4-px cells of every image token it
   * can see → [B, T, Tk·4], column 4·key + (row·2 + column of the cell in its token).
   */
  detectFine(h: tf.Tensor3D, keys: PointerKeys, mask: tf.Tensor2D): tf.Tensor3D {
    if (!keys.fine) throw new Error('this model detects on the 4-px cells too: pass their keys');
    return this.detectScores(h, 'decoder.detect.fine', keys.fine, keys, mask, FINE_SUBCELLS);
  }

  /**
   * Each position's sigmoid score for each key in `k` [B, Tk·per, D] (`per` keys to each key
   * position), its query and bias the weights under `prefix` → [B, T, Tk·per]; zero at text keys
   * and at keys after the position.
   */
  private detectScores(h: tf.Tensor3D, prefix: string, k: tf.Tensor3D, keys: PointerKeys, mask: tf.Tensor2D, per: number): tf.Tensor3D {
    const w = this.weights;
    const [B, T] = h.shape;
    const Tk = keys.cells.shape[1];
    const normed = rmsNormed(h);
    // the scale on the query and one mask [B, T, Tk]: every op on [B, T, Tk·per] costs memory
    const q = dense(normed, w[`${prefix}.q`]).mul(1 / Math.sqrt(DETECT_DIM)); // [B, T, D]
    const scores = fastMatMul(q, k.transpose([0, 2, 1])).add(w[`${prefix}.bias`]); // [B, T, Tk·per]
    return tf.sigmoid(scores).reshape([B, T, Tk, per]).mul(seenImageKeys(keys, mask, T)).reshape([B, T, Tk * per]) as tf.Tensor3D;
  }

  /**
   * The aim pathway's distribution (fineAim), from the stream the grounding layer reads: each position's softmax over the 4-px cells of every
   * image token it can see and a "nowhere" slot (decoder.aim.null) → [B, T, Tk·4], the nowhere
   * share left out. Softmax, unlike the detectors' sigmoids: it picks one place. A position that
   * sees no image puts everything on nowhere.
   */
  aimAt(h: tf.Tensor3D, keys: PointerKeys, mask: tf.Tensor2D): tf.Tensor3D {
    if (!keys.aim) throw new Error('this model aims on the 4-px cells: pass their aim keys');
    const w = this.weights;
    const [B, T] = h.shape;
    const Tk = keys.cells.shape[1];
    const q = dense(rmsNormed(h), w['decoder.aim.q']).mul(1 / Math.sqrt(DETECT_DIM)); // [B, T, D]
    const scores = fastMatMul(q, keys.aim.transpose([0, 2, 1])).reshape([B, T, Tk, FINE_SUBCELLS]);
    const unseen = tf.scalar(1).sub(seenImageKeys(keys, mask, T)).mul(AIM_UNSEEN); // [B, T, Tk, 1]
    const nowhere = w['decoder.aim.null'].reshape([1, 1, 1]).tile([B, T, 1]);
    const all = tf.concat([scores.add(unseen).reshape([B, T, Tk * FINE_SUBCELLS]), nowhere], -1);
    return tf.softmax(all).slice([0, 0, 0], [B, T, Tk * FINE_SUBCELLS]) as tf.Tensor3D;
  }

  /**
   * The grounding layer's additive mask [B, H, T, Tk] with the aim steering its grounding head (aimSteer):
   * that head's score for each image token gains steer·log(1 + a/AIM_FLOOR), a the aim's mass on
   * the token's four cells (decoder.aim.steer, from zero), so it attends in proportion to
   * its own weights times about (1 + a/AIM_FLOOR)^steer: where the two agree it looks as before, and a
   * confident aim can move it off a distractor. Text keys (a = 0) and the other heads are untouched.
   * With `trust` [B, T, 1] (aimTrust) each position's steer is scaled by it.
   */
  steeredMask(mask: tf.Tensor2D, aim: tf.Tensor3D, keys: PointerKeys, trust: tf.Tensor3D | null = null): tf.Tensor4D {
    const [B, T] = aim.shape;
    const Tk = keys.cells.shape[1];
    const H = this.config.heads;
    const perToken = aim.reshape([B, T, Tk, FINE_SUBCELLS]).sum(-1); // [B, T, Tk]
    let bonus = perToken.div(AIM_FLOOR).add(1).log().mul(this.weights['decoder.aim.steer']); // [B, T, Tk]
    if (trust) bonus = bonus.mul(trust);
    bonus = bonus.reshape([B, 1, T, Tk]);
    const groundHead = tf.oneHot([GROUND_HEAD], H).toFloat().reshape([1, H, 1, 1]);
    return bonus.mul(groundHead).add(mask) as tf.Tensor4D;
  }

  /**
   * The aim's distribution [B, T, Tk·4] as the residual stream gets it → [B, T, C]: summed per
   * 4-px cell of the grid over every image block (a crop's cells are the view's cells, as for the
   * pointer), times one learned vector per cell (decoder.aim.pointer, rows in fineOffset's order).
   */
  aimed(aim: tf.Tensor3D, keys: PointerKeys): tf.Tensor3D {
    const [B, T] = aim.shape;
    const Tk = keys.cells.shape[1];
    const K = this.tokensPerImage;
    const bySubcell = aim.reshape([B, T, Tk, FINE_SUBCELLS]).transpose([0, 1, 3, 2]).reshape([B, T * FINE_SUBCELLS, Tk]);
    const perCell = fastMatMul(bySubcell, keys.cells).reshape([B, T, FINE_SUBCELLS, K]).transpose([0, 1, 3, 2]).reshape([B, T, K * FINE_SUBCELLS]);
    return dense(perCell, this.weights['decoder.aim.pointer']) as tf.Tensor3D;
  }

  /**
   * The grounding head's pointer and readout, written into the residual stream → [B, T, C]. Its
   * attention [B, H, T, Tk] over the image tokens, normalised to sum to 1 (its attention to text
   * does not dilute it), gives
   *   pointer: the distribution over grid cells times one learned vector per cell, so a position
   *            reads "the target is in cell 6" off a fixed direction;
   *   readout: the attended image tokens as the projector made them, averaged, times a learned
   *            matrix, so the target's colour or shape arrives unmixed by the decoder's layers;
   *   mass:    (countMass) how much it attends to the image at all, m and m/(1.05−m), times a
   *            learned matrix: with the rest on the first token, m = n/(n+1) tells how many
   *            objects it looks at, m/(1.05−m) ≈ n;
   *   peaks:   (countPeaks) with r = each cell's share over the largest cell's, Σr, Σr², Σr⁴ times
   *            a learned matrix: about n for n cells attended alike, however the mass is split.
   */
  point(attention: tf.Tensor4D, keys: PointerKeys): tf.Tensor3D {
    const c = this.config;
    const [B, , T, Tk] = attention.shape;
    const head = attention.slice([0, GROUND_HEAD, 0, 0], [B, 1, T, Tk]).reshape([B, T, Tk]);
    const perCell = fastMatMul(head, keys.cells); // [B, T, K]
    const attended = perCell.sum(-1, true); // [B, T, 1]
    const imageMass = attended.add(1e-6);
    let out = tf.zeros([B, T, c.dim]) as tf.Tensor3D;
    if (c.countMass) {
      const features = tf.concat([attended, attended.div(tf.scalar(1.05).sub(attended))], -1); // [B, T, 2]
      out = out.add(dense(features, this.weights['decoder.mass']));
    }
    if (c.countPeaks) out = out.add(dense(attentionPeaks(perCell as tf.Tensor3D), this.weights['decoder.peaks']));
    if (c.pointer) out = out.add(dense(perCell.div(imageMass), this.weights['decoder.pointer']));
    if (c.readout) {
      if (!keys.tokens) throw new Error('this model reads out the attended image tokens: pass them');
      const seen = fastMatMul(head, keys.tokens).div(imageMass); // [B, T, C]
      out = out.add(dense(seen, this.weights['decoder.readout']));
    }
    return out;
  }

  /** hidden [B, T, C] → logits [B, T, V]. */
  logits(hidden: tf.Tensor3D): tf.Tensor3D {
    return dense(hidden, this.weights['decoder.head']) as tf.Tensor3D;
  }

  /** Token embeddings by lookup (inference; no gradient needed). ids [B, T] → [B, T, C]. */
  embedIds(ids: tf.Tensor2D): tf.Tensor3D {
    const [B, T] = ids.shape;
    return tf.gather(this.weights['decoder.embed'], ids.reshape([-1])).reshape([B, T, this.config.dim]);
  }

  /**
   * Full forward for training: logits [B, T, V], plus the vision encoder's patch features
   * [N, P, Cv] and the colour pool's (for auxiliary vision losses) and each decoder layer's
   * attention weights [B, H, T, T] (for the grounding loss). Embeddings by one-hot · matMul and image tokens
   * placed by a one-hot matMul, because WASM has no gradient for gather/scatter.
   */
  forwardWithFeatures(batch: TrainBatch): { logits: tf.Tensor3D; features: tf.Tensor3D | null; pooled: tf.Tensor3D | null; attention: tf.Tensor4D[]; detection: tf.Tensor3D | null; fineDetection: tf.Tensor3D | null; gate: tf.Tensor3D | null; aim: tf.Tensor3D | null; aimTrust: tf.Tensor3D | null } {
    const c = this.config;
    const [B, T] = batch.ids.shape;
    // 1. text embeddings (image positions get the `<image>` type embedding)
    const oneHot = tf.oneHot(batch.ids.reshape([-1]), c.vocabSize).toFloat(); // [B·T, V]
    let x = constantTimes(oneHot as tf.Tensor2D, this.weights['decoder.embed'] as tf.Tensor2D); // [B·T, C]
    // 2. merge the image tokens into their positions
    let features: tf.Tensor3D | null = null;
    let pooled: tf.Tensor3D | null = null;
    let imageRows: tf.Tensor2D | null = null;
    let fineRows: tf.Tensor2D | null = null;
    let aimRows: tf.Tensor2D | null = null;
    if (batch.patches && batch.placement) {
      let fineCells: tf.Tensor2D | null;
      ({ features, pooled, fineCells } = this.encode(batch.patches)); // [N, P, Cv], [N, P, Cp], [N·(S/4)², F]
      const images = this.projectPatches(features, pooled).reshape([-1, c.dim]); // [N·K, C]
      imageRows = constantTimes(batch.placement, images as tf.Tensor2D); // [B·T, C], zero for text
      x = x.add(imageRows);
      // each image position's 4-px cells' keys, zero for text: [B·T, 4·D]
      const placed = (perImage: tf.Tensor3D) => constantTimes(batch.placement!, perImage.reshape([-1, FINE_SUBCELLS * DETECT_DIM]) as tf.Tensor2D);
      if (fineCells) fineRows = placed(this.fineDetectKeys(fineCells, batch.patches.shape[0]));
      if (fineCells && c.fineAim) aimRows = placed(this.aimKeys(fineCells, batch.patches.shape[0]));
    }
    // 3. decoder + head
    const keys = (c.pointer || c.readout) && batch.placement && imageRows
      ? {
        cells: imageCells(batch.placement, B, T, this.tokensPerImage), tokens: imageRows.reshape([B, T, c.dim]) as tf.Tensor3D,
        fine: fineRows?.reshape([B, T * FINE_SUBCELLS, DETECT_DIM]) as tf.Tensor3D | undefined, aim: aimRows?.reshape([B, T * FINE_SUBCELLS, DETECT_DIM]) as tf.Tensor3D | undefined,
      }
      : undefined;
    const { hidden, attention, detection, fineDetection, gate, aim, aimTrust } = this.decode(x.reshape([B, T, c.dim]) as tf.Tensor3D, 0, undefined, keys);
    return { logits: this.logits(hidden), features, pooled, attention, detection, fineDetection, gate, aim, aimTrust };
  }

  forward(batch: TrainBatch): tf.Tensor3D {
    return this.forwardWithFeatures(batch).logits;
  }
}

/**
 * How many cells an attention over grid cells [B, T, K] peaks at → [B, T, 3]: with r = each
 * cell's weight over the largest's, Σr, Σr², Σr⁴. n cells attended alike give n in all three
 * whatever their share; a spread beside one peak adds less to each higher power. All zero where
 * nothing is attended (before any image).
 */
export function attentionPeaks(perCell: tf.Tensor3D): tf.Tensor3D {
  const r = perCell.div(perCell.max(-1, true).add(1e-6)); // the top cell ≈ 1
  const r2 = r.square();
  return tf.concat([r.sum(-1, true), r2.sum(-1, true), r2.square().sum(-1, true)], -1) as tf.Tensor3D;
}

/**
 * Each position's grid cell, one-hot [B, T, K] (zero rows for text), from the batch's image
 * placement [B·T, N·K]: image token k of any block is cell k of its own image's grid.
 */
export function imageCells(placement: tf.Tensor2D, B: number, T: number, K: number): tf.Tensor3D {
  return placement.reshape([B * T, -1, K]).sum(1).reshape([B, T, K]);
}

/** The same from a list of cell indices per position (-1 for text): the decode session keeps one. */
export function cellsOneHot(cells: readonly number[], K: number): tf.Tensor3D {
  const data = new Float32Array(cells.length * K);
  cells.forEach((cell, t) => { if (cell >= 0) data[t * K + cell] = 1; });
  return tf.tensor3d(data, [1, cells.length, K]);
}

/** 1 where a position can see an image key (an image token at or before it), else 0 → [B, T, Tk, 1]; mask is the decode's causal mask [T, Tk]. */
function seenImageKeys(keys: PointerKeys, mask: tf.Tensor2D, T: number): tf.Tensor4D {
  const [B, Tk] = keys.cells.shape;
  return keys.cells.sum(-1).reshape([B, 1, Tk]).mul(tf.equal(mask, 0).toFloat().reshape([1, T, Tk])).reshape([B, T, Tk, 1]);
}

/** A parameter-free RMS norm over the last axis: a detector's query (or the gate) does not follow the residual stream's scale. */
function rmsNormed(h: tf.Tensor3D): tf.Tensor3D {
  return h.div(h.square().mean(-1, true).add(1e-5).sqrt());
}

/**
 * Conv windows [N, (S/2)², 48] → the view's pixels [N·(S/2)²·4, 3]: each pixel lies in the inner
 * 2×2 of exactly one stride-2 window (window offsets 1..2, 1..2), so each 2-px cell's four pixels
 * come together, row-major within the cell.
 */
function viewPixels(input: tf.Tensor3D): tf.Tensor2D {
  const rows = input.reshape([-1, CONV_WINDOW, CONV_WINDOW * 3]); // [N·(S/2)², 4, 12]
  return rows.slice([0, 1, 3], [-1, 2, 6]).reshape([-1, 3]) as tf.Tensor2D;
}

/** A row-major [N·H·H, C] feature map → [N·(H/2)², C], the max of each 2×2 block (row-major). */
function maxPool2x2(x: tf.Tensor2D, n: number, side: number): tf.Tensor2D {
  return spaceToDepth(x, n, side).reshape([n * (side / 2) ** 2, 4, -1]).max(1) as tf.Tensor2D;
}

/**
 * A row-major [N·H·H, C] feature map → [N, H/2, H/2, 4C], each 2×2 block moved into channels
 * (row, column, channel order), so a stride-2 2×2 convolution is a matMul. Rank ≤ 4 throughout:
 * WASM's transpose fails on rank 6.
 */
/**
 * Each cell of N row-major side×side grids ([N·side², C] or [N, side², C]) with its 3×3
 * neighbourhood's features, concatenated row by row (zero past the grid's edge) → [N·side², 9C].
 */
function neighbourhood(x: tf.Tensor, n: number, side: number): tf.Tensor2D {
  const padded = tf.pad(x.reshape([n, side, side, -1]) as tf.Tensor4D, [[0, 0], [1, 1], [1, 1], [0, 0]]);
  const shifts: tf.Tensor[] = [];
  for (let dy = 0; dy < 3; dy++) for (let dx = 0; dx < 3; dx++) shifts.push(padded.slice([0, dy, dx, 0], [n, side, side, -1]));
  return tf.concat(shifts, -1).reshape([n * side * side, -1]) as tf.Tensor2D;
}

function spaceToDepth(x: tf.Tensor, n: number, side: number): tf.Tensor4D {
  const c = x.size / (n * side * side);
  return x.reshape([n * (side / 2), 2, side / 2, 2 * c]).transpose([0, 2, 1, 3]).reshape([n, side / 2, side / 2, 4 * c]);
}

/** Shape check for an input tensor built outside (clear message instead of a matMul shape error). */
export function checkPatches(config: ModelConfig, patches: tf.Tensor): void {
  const want = inputShape(config);
  if (patches.rank !== 3 || patches.shape[1] !== want[0] || patches.shape[2] !== want[1]) {
    throw new Error(`image input must be [N, ${want[0]}, ${want[1]}], got [${patches.shape.join(', ')}]`);
  }
}
