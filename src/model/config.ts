/**
 * The one typed config of Squint's VLM, with named presets. Stored as config.json beside the
 * weights; `validateConfig` checks a loaded one field by field.
 */
export type Stem = 'patch' | 'conv';
export const STEMS: readonly Stem[] = ['patch', 'conv'];

export interface ModelConfig {
  /** Preset this config came from (informational). */
  readonly preset: string;
  /** Side of the square, letterboxed view the vision encoder sees, in pixels. */
  readonly imageSize: number;
  /** Side of one vision patch (one encoder token) in pixels. */
  readonly patchSize: number;
  /**
   * How pixels become patch features. `patch`: a linear embedding of each flattened patch (ViT).
   * `conv`: three stride-2 convolutions (4×4 as im2col in preprocessing, then two 2×2 as
   * space-to-depth + matMul, so WASM can train them), which learn to read glyphs where the linear
   * embedding does not (docs/recipes.md, "Reader probe"). Configs saved before this field existed are `patch`.
   */
  readonly stem: Stem;
  /**
   * Channels of the colour pool (0 = none; conv stem only): a per-pixel MLP max-pooled over each
   * patch and projected into the patch features. The strided stem averages a speck of a few view
   * pixels away; a max keeps it, so the agent can find a tiny target by its colour (docs/recipes.md,
   * "Aim probe"). Configs saved before this field existed have 0.
   */
  readonly colourPool: number;
  /**
   * Whether the colour pool also feeds the decoder's image tokens directly (projector.pool), past
   * the encoder's transformer and LayerNorm. Through vision.pool.out alone the pool's speck
   * signal never reached the tokens (docs/recipes.md, "Aim probe"). Configs saved before this field existed
   * have false.
   */
  readonly poolTokens: boolean;
  /**
   * Whether every image token adds a learned 2-D grid position (projector.pos, one vector per
   * token of the image's grid, the same for the global view and each crop). The decoder's own
   * sequence positions are ~1% of an image token's norm (0.4–1.2 against 35 in recipe v5), so
   * without this it barely knows where an image token lies, and cannot say where to zoom (docs/recipes.md,
   * "Recipe v6"). Configs saved before this field existed have false.
   */
  readonly tokenPositions: boolean;
  /**
   * Whether the grounding head (decoder layer groundLayer, head GROUND_HEAD) also writes *where*
   * it looks into the residual stream: its attention over image tokens, as a distribution over
   * grid cells, times a learned vector per cell (decoder.pointer). The head found the target, but
   * its ordinary value path did not carry the position to the region words and box coordinates
   * (docs/recipes.md, "Recipe v9"). Configs saved before this field existed have false.
   */
  readonly pointer: boolean;
  /**
   * Whether the grounding head also writes *what* it looks at: the image tokens it attends, as the
   * projector made them (before any decoder layer mixed them), averaged by its attention and
   * mapped by decoder.readout. The target's token carries its colour (a linear probe reads it
   * 71% of the time) while the head's own value path left colour words at chance (docs/recipes.md,
   * "Recipe v9"). Configs saved before this field existed have false.
   */
  readonly readout: boolean;
  /**
   * Whether the prompt puts the question before the image (`<user>{question}<image>`), so that
   * in the causal decoder every image token can attend to the question and mark itself as what
   * is asked for (instruction-aware visual tokens, as InstructBLIP's Q-Former). Image-first, the
   * image tokens cannot see the question, and a position after it must match a colour word to
   * image content inside one attention score: colour, count and relation stayed near chance
   * (README, "What the shipped model is"). Configs saved before this field existed have false.
   */
  readonly questionFirst: boolean;
  /**
   * Whether the grounding head also writes *how much* it looks at the image: its total attention
   * on image tokens m, as (m, m/(1.05−m)), times decoder.mass. Trained to split its attention
   * evenly between each counted object and the sequence's first token (a "sink"), the head puts
   * n/(n+1) of its mass on n objects, which the pointer and readout (both normalised by m) cannot
   * show: a region's number never went above 1 without it (README, "Count"). Needs the pointer.
   * Configs saved before this field existed have false.
   */
  readonly countMass: boolean;
  /**
   * Whether the grounding head also writes how many *peaks* its attention over grid cells has:
   * with r = each cell's attention over the largest cell's, Σr, Σr² and Σr⁴, times decoder.peaks.
   * A count scan's number points at each counted object's centre cell, so two objects make two
   * cells near the top where one makes one; the pointer and readout average what they attend to
   * and cannot tell them apart (README, stage 35). Shift-invariant, so it leaves the attention
   * itself as trained. Needs the pointer. Configs saved before this field existed have false.
   */
  readonly countPeaks: boolean;
  /**
   * Whether the decoder has a count detector after the grounding layer: each position scores every
   * image token it can see with its own sigmoid (query decoder.detect.q from the position, key
   * decoder.detect.k from the token as projected, plus decoder.detect.bias), and the sum of those
   * scores, times decoder.detect.out, enters the residual stream. Unlike a softmax head the scores
   * do not compete: n objects marked make n. A count's scan entries are taught per token which
   * cells hold a counted target's centre (src/train/grounding.ts, detectionLoss). Needs the
   * readout (its image tokens). Configs saved before this field existed have false.
   */
  readonly countDetector: boolean;
  /**
   * Whether the detector's sum s also enters the residual stream as steps: "at least k objects",
   * sigmoid(LADDER_SHARPNESS·(s − k + 0.5)) for k = 1..LADDER_STEPS, times the rows of
   * decoder.detect.ladder. A count scan's number must switch from 1 to 2 where s passes 1.5; the
   * single direction s·decoder.detect.out left that switch to later layers, and teacher-forced
   * they said 1 at 48 of 51 entries whose sum was about 2 (README, stage 39). Needs the detector.
   * Configs saved before this field existed have false.
   */
  readonly countLadder: boolean;
  /**
   * Whether the count detector also scores the conv stem's 4-px cells, four per image token: each
   * cell's stem features and 4-px colour pool plus a learned position (a scan entry counts one
   * area, and the stem knows no positions), with its 3×3 neighbourhood, through a small MLP
   * (decoder.detect.fine.*) make its key; a position's own query (decoder.detect.fine.q) scores
   * every cell it can see with a sigmoid. On 8-px tokens two neighbours share one key and an
   * object on a border splits across two; a head on frozen 4-px cells counted held-out scenes
   * right 55.7% of the time against 40.3% on the tokens (docs/recipes.md, probe:tally). The sum
   * s_fine blends into the token detector's sum as s + mix·(s_fine − s), mix starting at zero, so
   * a model grown from one without it starts out computing exactly what it did. Needs the count
   * detector, the conv stem with merge 1 and a colour pool. Configs saved before this field
   * existed have false.
   */
  readonly fineDetector: boolean;
  /**
   * Whether a learned gate g = sigmoid(rms(h)·decoder.detect.gate.w + decoder.detect.gate.bias),
   * per position, decides where the fine sum and the ladder enter: the sum becomes
   * s + g·mix·(s_fine − s) and the ladder's steps are scaled by g. Both were trained on count
   * scans alone and, let in at every position, broke the other families (stage 58: count 64.3%,
   * the test set 77.2%); the gate starts shut (bias GATE_BIAS, weights zero), so a grown model
   * first computes what the ungated token detector did. Needs the fine detector and the ladder.
   * Configs saved before this field existed have false.
   */
  readonly countGate: boolean;
  /**
   * Whether the gated ladder has a bias row (decoder.detect.ladder.bias), scaled by the gate like
   * its steps: what the ladder says where the sum reaches no step. Without it an area holding none
   * is only the ladder's silence, and the frozen decoder's own guess speaks there: teacher-forced,
   * recipe v34 said a number above 0 at 24 of 881 empty areas whose fine sum was near 0 (stage 69
   * in docs/recipes.md). Starts at zero, so a grown model computes what it did. Needs the gate.
   * Configs saved before this field existed have false.
   */
  readonly ladderBias: boolean;
  /**
   * Whether the fine detector's keys also see each 4-px cell's own 16 view pixels: their RGB and
   * a small per-pixel ReLU layer's features (decoder.detect.fine.pixel.*), mapped linearly into
   * the cell's reduced features by decoder.detect.fine.pixels. An object whose centre lies within
   * a pixel of a scan area's border covers cells on both sides, and which side holds the centre
   * is in the pixels' partial coverage; the stem's 4-px features had placed such centres right
   * only about 80% of the time against 96% elsewhere (stop 43, probe:count). The map starts at
   * zero, so a model grown from one without it first computes exactly what it did. Needs the
   * fine detector. Configs saved before this field existed have false.
   */
  readonly finePixels: boolean;
  /**
   * Whether the decoder has an aim pathway at the grounding layer: each position's own query
   * (decoder.aim.q, from the stream the grounding layer reads) scores every 4-px cell it can see
   * against the cell's aim key, a small ReLU MLP (decoder.aim.*) over the cell's stem features,
   * 4-px colour pool and 16 view pixels; a softmax over those scores and a learned "nowhere" logit
   * (decoder.aim.null) gives a distribution over the 4-px grid; times one learned vector per cell
   * (decoder.aim.pointer) it enters the residual stream after the grounding layer. Taught at every grounding query, on the
   * 4-px cells of the targets the head is taught to look at (src/train/grounding.ts, aimLoss). The grounding head scores 8-px
   * tokens, in which a speck's hue is mostly lost: 58 of recipe v37's 61 missed unresolvable first
   * zooms framed a distractor of a neighbouring hue, while a linear pointer on the colour pool
   * found targets under 5 view px 81.4% of the time against 64.9% on the tokens (stop 45). The
   * pointer starts at zero, so a model grown from one without it computes exactly what it did.
   * Needs the fine detector (its cells) with finePixels. Configs saved before this field existed have false.
   */
  readonly fineAim: boolean;
  /**
   * Whether the aim also steers the grounding head (Vlm.steeredMask): that head's score for each
   * image token gains decoder.aim.steer·log(1 + a/AIM_FLOOR), a the aim's mass on the token's four
   * cells. Added to the residual stream alone (stage 84a), the aim moved no box: the head's own
   * pointer decides the coordinates, and the aim's pointer learnt to defer to it. The steer starts at zero, so a
   * model grown from one without it computes exactly what it did. Needs the aim. Configs saved
   * before this field existed have false.
   */
  readonly aimSteer: boolean;
  /**
   * Whether the steer is scaled per position by the aim's trust, sigmoid(rms(h)·decoder.aim.trust.w
   * + decoder.aim.trust.b) from the same stream, taught to say whether the aim's most likely cell
   * holds a target (src/train/grounding.ts, trustLoss). One steer for every position moved the
   * first zooms of unresolvable targets onto them (misses 21 → 11 of 224 at steer 1) but also moved
   * the head off the shape a colour question names, which the 4-px aim finds far less often
   * (stage 84b: colour −4.3 points). Starts at 0.5 everywhere. Needs the steer. Configs saved
   * before this field existed have false.
   */
  readonly aimTrust: boolean;
  /**
   * Whether each 4-px cell's aim key also sees its 3×3 neighbourhood (decoder.aim.reach.*): the
   * cells' hidden features, concatenated over the neighbourhood, through one more ReLU layer added
   * to the cell's own. On its own a 4-px cell tells a colour but not a shape: the aim found the
   * shape a colour question names at only 64.7% of its region words (stage 84), so its steer had
   * to be shut on colour questions. The added layer's output starts at zero, so a model grown from
   * one without it computes exactly what it did. Needs the aim. Configs saved before this field
   * existed have false.
   */
  readonly aimReach: boolean;
  /** Vision transformer width and depth. */
  readonly visionDim: number;
  readonly visionLayers: number;
  readonly visionHeads: number;
  /** Patches merged 2×2 into one decoder token (Qwen2-VL style merger): tokens per image = (imageSize/patchSize/merge)². */
  readonly merge: number;
  /** Decoder width, depth, heads, MLP hidden size. */
  readonly dim: number;
  readonly layers: number;
  readonly heads: number;
  readonly mlpDim: number;
  /** Tokenizer vocabulary size (must equal the tokenizer's). */
  readonly vocabSize: number;
  /** Longest sequence (text + image tokens) the decoder's learned positions cover. */
  readonly maxSeq: number;
}

const PRESETS = {
  /** For tests: runs in milliseconds. */
  tiny: {
    preset: 'tiny', imageSize: 32, patchSize: 8, stem: 'patch', colourPool: 0, poolTokens: false, tokenPositions: false, pointer: false, readout: false, questionFirst: false, countMass: false, countPeaks: false, countDetector: false, countLadder: false, fineDetector: false, countGate: false, ladderBias: false, finePixels: false, fineAim: false, aimSteer: false, aimTrust: false, aimReach: false, visionDim: 16, visionLayers: 1, visionHeads: 2, merge: 2,
    dim: 32, layers: 1, heads: 2, mlpDim: 64, vocabSize: 0, maxSeq: 320,
  },
  /** The tiny model with the conv stem (tests of that path). */
  'tiny-conv': {
    preset: 'tiny-conv', imageSize: 32, patchSize: 8, stem: 'conv', colourPool: 4, poolTokens: true, tokenPositions: true, pointer: false, readout: false, questionFirst: false, countMass: false, countPeaks: false, countDetector: false, countLadder: false, fineDetector: false, countGate: false, ladderBias: false, finePixels: false, fineAim: false, aimSteer: false, aimTrust: false, aimReach: false, visionDim: 16, visionLayers: 1, visionHeads: 2, merge: 2,
    dim: 32, layers: 1, heads: 2, mlpDim: 64, vocabSize: 0, maxSeq: 320,
  },
  /** tiny-conv with the pointer (tests of that path). */
  'tiny-point': {
    preset: 'tiny-point', imageSize: 32, patchSize: 8, stem: 'conv', colourPool: 4, poolTokens: true, tokenPositions: true, pointer: true, readout: true, questionFirst: false, countMass: false, countPeaks: false, countDetector: false, countLadder: false, fineDetector: false, countGate: false, ladderBias: false, finePixels: false, fineAim: false, aimSteer: false, aimTrust: false, aimReach: false, visionDim: 16, visionLayers: 1, visionHeads: 2, merge: 2,
    dim: 32, layers: 1, heads: 2, mlpDim: 64, vocabSize: 0, maxSeq: 320,
  },
  /** tiny-point without the merge, question first (tests of the `fine` path). */
  'tiny-fine': {
    preset: 'tiny-fine', imageSize: 32, patchSize: 8, stem: 'conv', colourPool: 4, poolTokens: true, tokenPositions: true, pointer: true, readout: true, questionFirst: true, countMass: false, countPeaks: false, countDetector: false, countLadder: false, fineDetector: false, countGate: false, ladderBias: false, finePixels: false, fineAim: false, aimSteer: false, aimTrust: false, aimReach: false, visionDim: 16, visionLayers: 1, visionHeads: 2, merge: 1,
    dim: 32, layers: 1, heads: 2, mlpDim: 64, vocabSize: 0, maxSeq: 400,
  },
  /** tiny-fine with the attention's peaks (tests of the `peaks` path). */
  'tiny-peaks': {
    preset: 'tiny-peaks', imageSize: 32, patchSize: 8, stem: 'conv', colourPool: 4, poolTokens: true, tokenPositions: true, pointer: true, readout: true, questionFirst: true, countMass: false, countPeaks: true, countDetector: false, countLadder: false, fineDetector: false, countGate: false, ladderBias: false, finePixels: false, fineAim: false, aimSteer: false, aimTrust: false, aimReach: false, visionDim: 16, visionLayers: 1, visionHeads: 2, merge: 1,
    dim: 32, layers: 1, heads: 2, mlpDim: 64, vocabSize: 0, maxSeq: 400,
  },
  /** tiny-fine with the count detector (tests of the `detector` path). */
  'tiny-detector': {
    preset: 'tiny-detector', imageSize: 32, patchSize: 8, stem: 'conv', colourPool: 4, poolTokens: true, tokenPositions: true, pointer: true, readout: true, questionFirst: true, countMass: false, countPeaks: false, countDetector: true, countLadder: false, fineDetector: false, countGate: false, ladderBias: false, finePixels: false, fineAim: false, aimSteer: false, aimTrust: false, aimReach: false, visionDim: 16, visionLayers: 1, visionHeads: 2, merge: 1,
    dim: 32, layers: 1, heads: 2, mlpDim: 64, vocabSize: 0, maxSeq: 400,
  },
  /** tiny-detector with the count ladder (tests of the `ladder` path). */
  'tiny-ladder': {
    preset: 'tiny-ladder', imageSize: 32, patchSize: 8, stem: 'conv', colourPool: 4, poolTokens: true, tokenPositions: true, pointer: true, readout: true, questionFirst: true, countMass: false, countPeaks: false, countDetector: true, countLadder: true, fineDetector: false, countGate: false, ladderBias: false, finePixels: false, fineAim: false, aimSteer: false, aimTrust: false, aimReach: false, visionDim: 16, visionLayers: 1, visionHeads: 2, merge: 1,
    dim: 32, layers: 1, heads: 2, mlpDim: 64, vocabSize: 0, maxSeq: 400,
  },
  /** tiny-detector with the fine detector (tests of the `fine-detector` path). */
  'tiny-fine-detector': {
    preset: 'tiny-fine-detector', imageSize: 32, patchSize: 8, stem: 'conv', colourPool: 4, poolTokens: true, tokenPositions: true, pointer: true, readout: true, questionFirst: true, countMass: false, countPeaks: false, countDetector: true, countLadder: false, fineDetector: true, countGate: false, ladderBias: false, finePixels: false, fineAim: false, aimSteer: false, aimTrust: false, aimReach: false, visionDim: 16, visionLayers: 1, visionHeads: 2, merge: 1,
    dim: 32, layers: 1, heads: 2, mlpDim: 64, vocabSize: 0, maxSeq: 400,
  },
  /** tiny-fine-detector with the ladder and the count gate (tests of the `gated-ladder` path). */
  'tiny-gated': {
    preset: 'tiny-gated', imageSize: 32, patchSize: 8, stem: 'conv', colourPool: 4, poolTokens: true, tokenPositions: true, pointer: true, readout: true, questionFirst: true, countMass: false, countPeaks: false, countDetector: true, countLadder: true, fineDetector: true, countGate: true, ladderBias: false, finePixels: false, fineAim: false, aimSteer: false, aimTrust: false, aimReach: false, visionDim: 16, visionLayers: 1, visionHeads: 2, merge: 1,
    dim: 32, layers: 1, heads: 2, mlpDim: 64, vocabSize: 0, maxSeq: 400,
  },
  /** tiny-gated with the fine detector's pixels and the aim pathway (tests of the `aim` path). */
  'tiny-aim': {
    preset: 'tiny-aim', imageSize: 32, patchSize: 8, stem: 'conv', colourPool: 4, poolTokens: true, tokenPositions: true, pointer: true, readout: true, questionFirst: true, countMass: false, countPeaks: false, countDetector: true, countLadder: true, fineDetector: true, countGate: true, ladderBias: false, finePixels: true, fineAim: true, aimSteer: true, aimTrust: true, aimReach: true, visionDim: 16, visionLayers: 1, visionHeads: 2, merge: 1,
    dim: 32, layers: 1, heads: 2, mlpDim: 64, vocabSize: 0, maxSeq: 400,
  },
  /** tiny-fine with the attended image mass (tests of the `tally` path). */
  'tiny-tally': {
    preset: 'tiny-tally', imageSize: 32, patchSize: 8, stem: 'conv', colourPool: 4, poolTokens: true, tokenPositions: true, pointer: true, readout: true, questionFirst: true, countMass: true, countPeaks: false, countDetector: false, countLadder: false, fineDetector: false, countGate: false, ladderBias: false, finePixels: false, fineAim: false, aimSteer: false, aimTrust: false, aimReach: false, visionDim: 16, visionLayers: 1, visionHeads: 2, merge: 1,
    dim: 32, layers: 1, heads: 2, mlpDim: 64, vocabSize: 0, maxSeq: 400,
  },
  /** ~0.8M parameters, conv stem; trains in a couple of hours on 2 CPU cores (WASM). Recipes v3–v4. */
  default: {
    preset: 'default', imageSize: 64, patchSize: 8, stem: 'conv', colourPool: 0, poolTokens: false, tokenPositions: false, pointer: false, readout: false, questionFirst: false, countMass: false, countPeaks: false, countDetector: false, countLadder: false, fineDetector: false, countGate: false, ladderBias: false, finePixels: false, fineAim: false, aimSteer: false, aimTrust: false, aimReach: false, visionDim: 64, visionLayers: 2, visionHeads: 2, merge: 2,
    dim: 128, layers: 3, heads: 4, mlpDim: 384, vocabSize: 0, maxSeq: 320,
  },
  /** `default` plus a 16-channel colour pool: the shipped model (recipe v5; docs/recipes.md, "Aim probe"). */
  pool: {
    preset: 'pool', imageSize: 64, patchSize: 8, stem: 'conv', colourPool: 16, poolTokens: false, tokenPositions: false, pointer: false, readout: false, questionFirst: false, countMass: false, countPeaks: false, countDetector: false, countLadder: false, fineDetector: false, countGate: false, ladderBias: false, finePixels: false, fineAim: false, aimSteer: false, aimTrust: false, aimReach: false, visionDim: 64, visionLayers: 2, visionHeads: 2, merge: 2,
    dim: 128, layers: 3, heads: 4, mlpDim: 384, vocabSize: 0, maxSeq: 320,
  },
  /** `pool` plus what lets the decoder aim: the pool routed to the image tokens, and grid positions on them (recipe v6). */
  aim: {
    preset: 'aim', imageSize: 64, patchSize: 8, stem: 'conv', colourPool: 16, poolTokens: true, tokenPositions: true, pointer: false, readout: false, questionFirst: false, countMass: false, countPeaks: false, countDetector: false, countLadder: false, fineDetector: false, countGate: false, ladderBias: false, finePixels: false, fineAim: false, aimSteer: false, aimTrust: false, aimReach: false, visionDim: 64, visionLayers: 2, visionHeads: 2, merge: 2,
    dim: 128, layers: 3, heads: 4, mlpDim: 384, vocabSize: 0, maxSeq: 320,
  },
  /** `aim` plus the grounding head's pointer and readout into the residual stream (recipes v9–v10). */
  point: {
    preset: 'point', imageSize: 64, patchSize: 8, stem: 'conv', colourPool: 16, poolTokens: true, tokenPositions: true, pointer: true, readout: true, questionFirst: false, countMass: false, countPeaks: false, countDetector: false, countLadder: false, fineDetector: false, countGate: false, ladderBias: false, finePixels: false, fineAim: false, aimSteer: false, aimTrust: false, aimReach: false, visionDim: 64, visionLayers: 2, visionHeads: 2, merge: 2,
    dim: 128, layers: 3, heads: 4, mlpDim: 384, vocabSize: 0, maxSeq: 320,
  },
  /** `point` with the question before the image, so image tokens can see what is asked (recipe v13). */
  ask: {
    preset: 'ask', imageSize: 64, patchSize: 8, stem: 'conv', colourPool: 16, poolTokens: true, tokenPositions: true, pointer: true, readout: true, questionFirst: true, countMass: false, countPeaks: false, countDetector: false, countLadder: false, fineDetector: false, countGate: false, ladderBias: false, finePixels: false, fineAim: false, aimSteer: false, aimTrust: false, aimReach: false, visionDim: 64, visionLayers: 2, visionHeads: 2, merge: 2,
    dim: 128, layers: 3, heads: 4, mlpDim: 384, vocabSize: 0, maxSeq: 320,
  },
  /**
   * `ask` without the 2×2 merge: every 8-px patch is its own decoder token (64 an image, so a
   * longer context). A 16-px token holds two or three objects in a busy scene, and which colour
   * goes with which shape, or how many objects share it, is then a property of a mixed vector
   * (README, "What the shipped model is"). Grown from an `ask` model by src/model/regrid.ts;
   * models/default (recipe v16) is one.
   */
  fine: {
    preset: 'fine', imageSize: 64, patchSize: 8, stem: 'conv', colourPool: 16, poolTokens: true, tokenPositions: true, pointer: true, readout: true, questionFirst: true, countMass: false, countPeaks: false, countDetector: false, countLadder: false, fineDetector: false, countGate: false, ladderBias: false, finePixels: false, fineAim: false, aimSteer: false, aimTrust: false, aimReach: false, visionDim: 64, visionLayers: 2, visionHeads: 2, merge: 1,
    dim: 128, layers: 3, heads: 4, mlpDim: 384, vocabSize: 0, maxSeq: 512,
  },
  /**
   * `fine` with a third encoder layer. Grown from a `fine` model (train:sft --init-from), the new
   * layer starts as the identity (init.ts, growWeights), so it first computes what the source
   * did; it adds encoder depth for shape reading in crops and in the global view, both of which
   * the one 64-wide, two-layer encoder serves (README, stage 30).
   */
  deep: {
    preset: 'deep', imageSize: 64, patchSize: 8, stem: 'conv', colourPool: 16, poolTokens: true, tokenPositions: true, pointer: true, readout: true, questionFirst: true, countMass: false, countPeaks: false, countDetector: false, countLadder: false, fineDetector: false, countGate: false, ladderBias: false, finePixels: false, fineAim: false, aimSteer: false, aimTrust: false, aimReach: false, visionDim: 64, visionLayers: 3, visionHeads: 2, merge: 1,
    dim: 128, layers: 3, heads: 4, mlpDim: 384, vocabSize: 0, maxSeq: 512,
  },
  /** `deep` with a fourth encoder block, grown from a `deep` model the same way (stages 31a/31b). */
  deeper: {
    preset: 'deeper', imageSize: 64, patchSize: 8, stem: 'conv', colourPool: 16, poolTokens: true, tokenPositions: true, pointer: true, readout: true, questionFirst: true, countMass: false, countPeaks: false, countDetector: false, countLadder: false, fineDetector: false, countGate: false, ladderBias: false, finePixels: false, fineAim: false, aimSteer: false, aimTrust: false, aimReach: false, visionDim: 64, visionLayers: 4, visionHeads: 2, merge: 1,
    dim: 128, layers: 3, heads: 4, mlpDim: 384, vocabSize: 0, maxSeq: 512,
  },
  /**
   * `deeper` with a fourth decoder layer after the grounding layer, grown from a `deeper` model as
   * the identity the same way (stages 32a/32b): more decoder depth after the pointer and readout
   * for what reads them (count scans, relations).
   */
  'deep-decoder': {
    preset: 'deep-decoder', imageSize: 64, patchSize: 8, stem: 'conv', colourPool: 16, poolTokens: true, tokenPositions: true, pointer: true, readout: true, questionFirst: true, countMass: false, countPeaks: false, countDetector: false, countLadder: false, fineDetector: false, countGate: false, ladderBias: false, finePixels: false, fineAim: false, aimSteer: false, aimTrust: false, aimReach: false, visionDim: 64, visionLayers: 4, visionHeads: 2, merge: 1,
    dim: 128, layers: 4, heads: 4, mlpDim: 384, vocabSize: 0, maxSeq: 512,
  },
  /** `deeper` plus the peaks of the grounding head's attention in the residual stream (`countPeaks`), to count by them. */
  peaks: {
    preset: 'peaks', imageSize: 64, patchSize: 8, stem: 'conv', colourPool: 16, poolTokens: true, tokenPositions: true, pointer: true, readout: true, questionFirst: true, countMass: false, countPeaks: true, countDetector: false, countLadder: false, fineDetector: false, countGate: false, ladderBias: false, finePixels: false, fineAim: false, aimSteer: false, aimTrust: false, aimReach: false, visionDim: 64, visionLayers: 4, visionHeads: 2, merge: 1,
    dim: 128, layers: 3, heads: 4, mlpDim: 384, vocabSize: 0, maxSeq: 512,
  },
  /** `deeper` plus the count detector (`countDetector`): sigmoid scores per image token, summed. */
  detector: {
    preset: 'detector', imageSize: 64, patchSize: 8, stem: 'conv', colourPool: 16, poolTokens: true, tokenPositions: true, pointer: true, readout: true, questionFirst: true, countMass: false, countPeaks: false, countDetector: true, countLadder: false, fineDetector: false, countGate: false, ladderBias: false, finePixels: false, fineAim: false, aimSteer: false, aimTrust: false, aimReach: false, visionDim: 64, visionLayers: 4, visionHeads: 2, merge: 1,
    dim: 128, layers: 3, heads: 4, mlpDim: 384, vocabSize: 0, maxSeq: 512,
  },
  /** `detector` plus the fine detector on the stem's 4-px cells (`fineDetector`). */
  'fine-detector': {
    preset: 'fine-detector', imageSize: 64, patchSize: 8, stem: 'conv', colourPool: 16, poolTokens: true, tokenPositions: true, pointer: true, readout: true, questionFirst: true, countMass: false, countPeaks: false, countDetector: true, countLadder: false, fineDetector: true, countGate: false, ladderBias: false, finePixels: false, fineAim: false, aimSteer: false, aimTrust: false, aimReach: false, visionDim: 64, visionLayers: 4, visionHeads: 2, merge: 1,
    dim: 128, layers: 3, heads: 4, mlpDim: 384, vocabSize: 0, maxSeq: 512,
  },
  /** `fine-detector` whose keys also see each 4-px cell's pixels (`finePixels`): its warm-up. */
  'fine-detector-pixels': {
    preset: 'fine-detector-pixels', imageSize: 64, patchSize: 8, stem: 'conv', colourPool: 16, poolTokens: true, tokenPositions: true, pointer: true, readout: true, questionFirst: true, countMass: false, countPeaks: false, countDetector: true, countLadder: false, fineDetector: true, countGate: false, ladderBias: false, finePixels: true, fineAim: false, aimSteer: false, aimTrust: false, aimReach: false, visionDim: 64, visionLayers: 4, visionHeads: 2, merge: 1,
    dim: 128, layers: 3, heads: 4, mlpDim: 384, vocabSize: 0, maxSeq: 512,
  },
  /** `detector` plus the detector's sum as "at least k" steps (`countLadder`). */
  ladder: {
    preset: 'ladder', imageSize: 64, patchSize: 8, stem: 'conv', colourPool: 16, poolTokens: true, tokenPositions: true, pointer: true, readout: true, questionFirst: true, countMass: false, countPeaks: false, countDetector: true, countLadder: true, fineDetector: false, countGate: false, ladderBias: false, finePixels: false, fineAim: false, aimSteer: false, aimTrust: false, aimReach: false, visionDim: 64, visionLayers: 4, visionHeads: 2, merge: 1,
    dim: 128, layers: 3, heads: 4, mlpDim: 384, vocabSize: 0, maxSeq: 512,
  },
  /** `fine-detector` plus the blended sum as "at least k" steps (`countLadder`): the scan's number read from the fine sum. */
  'fine-ladder': {
    preset: 'fine-ladder', imageSize: 64, patchSize: 8, stem: 'conv', colourPool: 16, poolTokens: true, tokenPositions: true, pointer: true, readout: true, questionFirst: true, countMass: false, countPeaks: false, countDetector: true, countLadder: true, fineDetector: true, countGate: false, ladderBias: false, finePixels: false, fineAim: false, aimSteer: false, aimTrust: false, aimReach: false, visionDim: 64, visionLayers: 4, visionHeads: 2, merge: 1,
    dim: 128, layers: 3, heads: 4, mlpDim: 384, vocabSize: 0, maxSeq: 512,
  },
  /** `fine-ladder` with a gate that lets the fine sum and the ladder in only where a position asks for them (`countGate`). */
  'gated-ladder': {
    preset: 'gated-ladder', imageSize: 64, patchSize: 8, stem: 'conv', colourPool: 16, poolTokens: true, tokenPositions: true, pointer: true, readout: true, questionFirst: true, countMass: false, countPeaks: false, countDetector: true, countLadder: true, fineDetector: true, countGate: true, ladderBias: false, finePixels: false, fineAim: false, aimSteer: false, aimTrust: false, aimReach: false, visionDim: 64, visionLayers: 4, visionHeads: 2, merge: 1,
    dim: 128, layers: 3, heads: 4, mlpDim: 384, vocabSize: 0, maxSeq: 512,
  },
  /** `gated-ladder` with the ladder's gated bias row (`ladderBias`): "none here" as a signal of its own. */
  'gated-ladder-bias': {
    preset: 'gated-ladder-bias', imageSize: 64, patchSize: 8, stem: 'conv', colourPool: 16, poolTokens: true, tokenPositions: true, pointer: true, readout: true, questionFirst: true, countMass: false, countPeaks: false, countDetector: true, countLadder: true, fineDetector: true, countGate: true, ladderBias: true, finePixels: false, fineAim: false, aimSteer: false, aimTrust: false, aimReach: false, visionDim: 64, visionLayers: 4, visionHeads: 2, merge: 1,
    dim: 128, layers: 3, heads: 4, mlpDim: 384, vocabSize: 0, maxSeq: 512,
  },
  /** `gated-ladder-bias` whose fine detector also sees each 4-px cell's pixels (`finePixels`). */
  'gated-ladder-pixels': {
    preset: 'gated-ladder-pixels', imageSize: 64, patchSize: 8, stem: 'conv', colourPool: 16, poolTokens: true, tokenPositions: true, pointer: true, readout: true, questionFirst: true, countMass: false, countPeaks: false, countDetector: true, countLadder: true, fineDetector: true, countGate: true, ladderBias: true, finePixels: true, fineAim: false, aimSteer: false, aimTrust: false, aimReach: false, visionDim: 64, visionLayers: 4, visionHeads: 2, merge: 1,
    dim: 128, layers: 3, heads: 4, mlpDim: 384, vocabSize: 0, maxSeq: 512,
  },
  /**
   * `gated-ladder-pixels` with a fifth encoder block, grown from it as the identity (stage 92c):
   * does more encoder depth lift perception at the view's limit (small shapes, neighbouring hues)?
   */
  'gated-pixels-5v': {
    preset: 'gated-pixels-5v', imageSize: 64, patchSize: 8, stem: 'conv', colourPool: 16, poolTokens: true, tokenPositions: true, pointer: true, readout: true, questionFirst: true, countMass: false, countPeaks: false, countDetector: true, countLadder: true, fineDetector: true, countGate: true, ladderBias: true, finePixels: true, fineAim: false, aimSteer: false, aimTrust: false, aimReach: false, visionDim: 64, visionLayers: 5, visionHeads: 2, merge: 1,
    dim: 128, layers: 3, heads: 4, mlpDim: 384, vocabSize: 0, maxSeq: 512,
  },
  /**
   * `gated-ladder-pixels` with a fourth decoder layer after the count pathway, grown as the identity
   * (stage 92d): more depth for what reads the grounding head and the count (stage 32's idea, never finished).
   */
  'gated-pixels-4d': {
    preset: 'gated-pixels-4d', imageSize: 64, patchSize: 8, stem: 'conv', colourPool: 16, poolTokens: true, tokenPositions: true, pointer: true, readout: true, questionFirst: true, countMass: false, countPeaks: false, countDetector: true, countLadder: true, fineDetector: true, countGate: true, ladderBias: true, finePixels: true, fineAim: false, aimSteer: false, aimTrust: false, aimReach: false, visionDim: 64, visionLayers: 4, visionHeads: 2, merge: 1,
    dim: 128, layers: 4, heads: 4, mlpDim: 384, vocabSize: 0, maxSeq: 512,
  },
  /** `gated-ladder-pixels` with the aim pathway on the 4-px cells steering the grounding head (`fineAim`, `aimSteer`). */
  'gated-ladder-aim': {
    preset: 'gated-ladder-aim', imageSize: 64, patchSize: 8, stem: 'conv', colourPool: 16, poolTokens: true, tokenPositions: true, pointer: true, readout: true, questionFirst: true, countMass: false, countPeaks: false, countDetector: true, countLadder: true, fineDetector: true, countGate: true, ladderBias: true, finePixels: true, fineAim: true, aimSteer: true, aimTrust: true, aimReach: false, visionDim: 64, visionLayers: 4, visionHeads: 2, merge: 1,
    dim: 128, layers: 3, heads: 4, mlpDim: 384, vocabSize: 0, maxSeq: 512,
  },
  /** `gated-ladder-aim` whose aim keys see each 4-px cell's 3×3 neighbourhood (`aimReach`), so they find shapes as well as colours. */
  'gated-ladder-reach': {
    preset: 'gated-ladder-reach', imageSize: 64, patchSize: 8, stem: 'conv', colourPool: 16, poolTokens: true, tokenPositions: true, pointer: true, readout: true, questionFirst: true, countMass: false, countPeaks: false, countDetector: true, countLadder: true, fineDetector: true, countGate: true, ladderBias: true, finePixels: true, fineAim: true, aimSteer: true, aimTrust: true, aimReach: true, visionDim: 64, visionLayers: 4, visionHeads: 2, merge: 1,
    dim: 128, layers: 3, heads: 4, mlpDim: 384, vocabSize: 0, maxSeq: 512,
  },
  /** `fine` plus the head's attended image mass in the residual stream (`countMass`), to count by it. */
  tally: {
    preset: 'tally', imageSize: 64, patchSize: 8, stem: 'conv', colourPool: 16, poolTokens: true, tokenPositions: true, pointer: true, readout: true, questionFirst: true, countMass: true, countPeaks: false, countDetector: false, countLadder: false, fineDetector: false, countGate: false, ladderBias: false, finePixels: false, fineAim: false, aimSteer: false, aimTrust: false, aimReach: false, visionDim: 64, visionLayers: 2, visionHeads: 2, merge: 1,
    dim: 128, layers: 3, heads: 4, mlpDim: 384, vocabSize: 0, maxSeq: 512,
  },
  /** The v1 model and the recipe-v2 base (models/base until 2026-12-01): `default` with the linear patch embedding. */
  vit: {
    preset: 'vit', imageSize: 64, patchSize: 8, stem: 'patch', colourPool: 0, poolTokens: false, tokenPositions: false, pointer: false, readout: false, questionFirst: false, countMass: false, countPeaks: false, countDetector: false, countLadder: false, fineDetector: false, countGate: false, ladderBias: false, finePixels: false, fineAim: false, aimSteer: false, aimTrust: false, aimReach: false, visionDim: 64, visionLayers: 2, visionHeads: 2, merge: 2,
    dim: 128, layers: 3, heads: 4, mlpDim: 384, vocabSize: 0, maxSeq: 320,
  },
} as const satisfies Record<string, ModelConfig>;

export type PresetName = keyof typeof PRESETS;
export const PRESET_NAMES = Object.keys(PRESETS) as PresetName[];

/** A preset with the tokenizer's vocabulary size filled in. @throws on an unknown preset. */
export function presetConfig(name: string, vocabSize: number): ModelConfig {
  if (!(name in PRESETS)) throw new Error(`Unknown model preset "${name}" (known: ${PRESET_NAMES.join(', ')})`);
  return { ...PRESETS[name as PresetName], vocabSize };
}

/**
 * The decoder's grounding head: layer 1 (after layer 0 gathered the question; the last, in a
 * shallower model), head 0. Training teaches it to attend to the target (src/train/grounding.ts);
 * with `pointer` and `readout`, where it looks and what it sees there also feed the residual stream.
 */
export const groundLayer = (layers: number) => Math.min(1, layers - 1);
export const GROUND_HEAD = 0;
/** The attended image mass m as the residual stream gets it (countMass): m and m/(1.05−m). */
export const MASS_FEATURES = 2;
/** The attention's peaks as the residual stream gets them (countPeaks): Σr, Σr², Σr⁴. */
export const PEAK_FEATURES = 3;
/** Width of the count detector's queries and keys (countDetector). */
export const DETECT_DIM = 32;
/** The count ladder's steps ("at least 1" … "at least 5") and how sharply each switches (countLadder). */
export const LADDER_STEPS = 5;
export const LADDER_SHARPNESS = 8;
/** The fine detector's cells per image token: the 2×2 4-px cells of its 8-px patch. */
export const FINE_SUBCELLS = 4;
/** The fine detector's key MLP: each 4-px cell's features reduced to FINE_REDUCE, its 3×3 neighbourhood's (9·FINE_REDUCE) through FINE_HIDDEN ReLU units. */
export const FINE_REDUCE = 32;
export const FINE_HIDDEN = 256;
/** The fine detector's per-pixel layer (finePixels): each view pixel's RGB through FINE_PIXEL_FEATURES ReLU units. */
export const FINE_PIXEL_FEATURES = 8;
/** What finePixels adds to a 4-px cell: its 16 pixels' RGB and per-pixel features. */
export const finePixelCellDim = 16 * (3 + FINE_PIXEL_FEATURES);
/** The aim pathway's key MLP width (fineAim). */
export const AIM_HIDDEN = 64;
/** What the aim's softmax adds to a cell a position cannot see: exp(−10⁴) is 0, in float16 as in float32. */
export const AIM_UNSEEN = -1e4;
/** The aim's mass on a token at which its steer of the grounding head is log 2 (fineAim): below it the aim barely counts. */
export const AIM_FLOOR = 0.01;
/** The detector's starting bias: sigmoid(−4) ≈ 0.02 a token, so its first sums stay near 1 over 64 tokens. */
export const DETECT_BIAS = -4;
/** The count gate's starting bias: sigmoid(−4) ≈ 0.02, nearly shut (countGate). */
export const GATE_BIAS = -4;

export const gridSide = (c: ModelConfig) => c.imageSize / c.patchSize;
export const patchCount = (c: ModelConfig) => gridSide(c) ** 2;
export const imageTokens = (c: ModelConfig) => (gridSide(c) / c.merge) ** 2;
export const patchDim = (c: ModelConfig) => c.patchSize * c.patchSize * 3;
/** The conv stem's first layer: 4×4 windows at stride 2 (padding 1), 3 channels. */
export const CONV_WINDOW = 4;
export const convWindowDim = CONV_WINDOW * CONV_WINDOW * 3;
/** Channels of the conv stem's three layers. */
export const convChannels = (c: ModelConfig): [number, number, number] => [c.visionDim / 2, c.visionDim, c.visionDim];
/**
 * One image's model input, [rows, dim]: flattened patches (stem `patch`) or the conv stem's
 * first-layer windows, one per pixel of the half-resolution grid (stem `conv`).
 */
export function inputShape(c: ModelConfig): [number, number] {
  return c.stem === 'conv' ? [(c.imageSize / 2) ** 2, convWindowDim] : [patchCount(c), patchDim(c)];
}

const INTEGER_FIELDS = [
  'imageSize', 'patchSize', 'visionDim', 'visionLayers', 'visionHeads', 'merge',
  'dim', 'layers', 'heads', 'mlpDim', 'vocabSize', 'maxSeq',
] as const;

/** Checks a parsed config.json. @throws Error naming the first bad field. */
export function validateConfig(raw: unknown): ModelConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error('config is not a JSON object');
  const c = raw as Record<string, unknown>;
  for (const field of INTEGER_FIELDS) {
    const v = c[field];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
      throw new Error(`config field "${field}" must be a positive integer (got ${JSON.stringify(v)})`);
    }
  }
  // a true/false field; configs saved before it existed have false
  const flag = (name: string): boolean => {
    const v = c[name] ?? false;
    if (typeof v !== 'boolean') throw new Error(`config field "${name}" must be true or false (got ${JSON.stringify(c[name])})`);
    return v;
  };
  const stem = c.stem ?? 'patch';
  if (!STEMS.includes(stem as Stem)) throw new Error(`config field "stem" must be one of ${STEMS.join(', ')} (got ${JSON.stringify(c.stem)})`);
  const colourPool = c.colourPool ?? 0;
  if (typeof colourPool !== 'number' || !Number.isInteger(colourPool) || colourPool < 0) {
    throw new Error(`config field "colourPool" must be a non-negative integer (got ${JSON.stringify(c.colourPool)})`);
  }
  if (colourPool > 0 && stem !== 'conv') throw new Error('config: colourPool needs the conv stem (it reads its pixels from the stem\'s windows)');
  const poolTokens = flag('poolTokens');
  if (poolTokens && colourPool === 0) throw new Error('config: poolTokens needs a colour pool (colourPool > 0)');
  const tokenPositions = flag('tokenPositions');
  const pointer = flag('pointer');
  const readout = flag('readout');
  const questionFirst = flag('questionFirst');
  const countMass = flag('countMass');
  if (countMass && !pointer) throw new Error('config: countMass needs the pointer (it reads the pointer\'s attention over grid cells)');
  const countPeaks = flag('countPeaks');
  if (countPeaks && !pointer) throw new Error('config: countPeaks needs the pointer (it reads the pointer\'s attention over grid cells)');
  const countDetector = flag('countDetector');
  if (countDetector && !readout) throw new Error('config: countDetector needs the readout (it scores the image tokens the readout keeps)');
  const countLadder = flag('countLadder');
  if (countLadder && !countDetector) throw new Error('config: countLadder needs the count detector (it steps the detector\'s sum)');
  const fineDetector = flag('fineDetector');
  if (fineDetector && (!countDetector || stem !== 'conv' || c.merge !== 1 || colourPool === 0)) {
    throw new Error('config: fineDetector needs the count detector, the conv stem with merge 1 and a colour pool (it scores the stem\'s 4-px cells, four per token, and blends into the detector\'s sum)');
  }
  const countGate = flag('countGate');
  if (countGate && (!fineDetector || !countLadder)) throw new Error('config: countGate needs the fine detector and the count ladder (it gates the fine sum and the ladder)');
  const ladderBias = flag('ladderBias');
  if (ladderBias && !countGate) throw new Error('config: ladderBias needs the count gate (the bias row enters only where the gate opens)');
  const finePixels = flag('finePixels');
  if (finePixels && !fineDetector) throw new Error('config: finePixels needs the fine detector (it adds to the fine detector\'s keys)');
  const fineAim = flag('fineAim');
  if (fineAim && !finePixels) throw new Error('config: fineAim needs the fine detector with finePixels (it scores the same 4-px cells and their pixels)');
  const aimSteer = flag('aimSteer');
  if (aimSteer && !fineAim) throw new Error('config: aimSteer needs the aim (fineAim), whose distribution it steers by');
  const aimTrust = flag('aimTrust');
  if (aimTrust && !aimSteer) throw new Error('config: aimTrust needs the steer (aimSteer), which it scales');
  const aimReach = flag('aimReach');
  if (aimReach && !fineAim) throw new Error('config: aimReach needs the aim (fineAim), whose keys it widens');
  const config = { preset: typeof c.preset === 'string' ? c.preset : 'custom', stem, colourPool, poolTokens, tokenPositions, pointer, readout, questionFirst, countMass, countPeaks, countDetector, countLadder, fineDetector, countGate, ladderBias, finePixels, fineAim, aimSteer, aimTrust, aimReach, ...Object.fromEntries(INTEGER_FIELDS.map((f) => [f, c[f]])) } as ModelConfig;
  if (config.imageSize % config.patchSize !== 0) throw new Error('config: imageSize must be a multiple of patchSize');
  if (gridSide(config) % config.merge !== 0) throw new Error('config: the patch grid must be a multiple of merge');
  if (config.dim % config.heads !== 0) throw new Error('config: dim must be a multiple of heads');
  if (config.visionDim % config.visionHeads !== 0) throw new Error('config: visionDim must be a multiple of visionHeads');
  if (config.stem === 'conv') {
    // three stride-2 layers make one feature per 8 px, and a 2×2 merge reuses their space-to-depth
    if (config.patchSize !== 8 || (config.merge !== 1 && config.merge !== 2) || config.visionDim % 2 !== 0) {
      throw new Error('config: the conv stem needs patchSize 8, merge 1 or 2 and an even visionDim');
    }
  }
  return config;
}

/** Name → shape of every weight tensor the model expects (the contract of the weights file). */
export function weightShapes(c: ModelConfig): Record<string, number[]> {
  const [c1, c2, c3] = convChannels(c);
  const embedding: Record<string, number[]> = c.stem === 'conv'
    ? {
      'vision.stem1.w': [convWindowDim, c1], 'vision.stem1.b': [c1],
      'vision.stem2.w': [4 * c1, c2], 'vision.stem2.b': [c2],
      'vision.stem3.w': [4 * c2, c3], 'vision.stem3.b': [c3],
    }
    : { 'vision.patch.w': [patchDim(c), c.visionDim], 'vision.patch.b': [c.visionDim] };
  if (c.colourPool > 0) {
    embedding['vision.pool.w1'] = [3, c.colourPool];
    embedding['vision.pool.b1'] = [c.colourPool];
    embedding['vision.pool.w2'] = [c.colourPool, c.colourPool];
    embedding['vision.pool.b2'] = [c.colourPool];
    embedding['vision.pool.out'] = [c.colourPool, c.visionDim];
  }
  const shapes: Record<string, number[]> = {
    ...embedding,
    'vision.pos': [patchCount(c), c.visionDim],
    'vision.ln.g': [c.visionDim],
    'vision.ln.b': [c.visionDim],
    'projector.w1': [c.merge * c.merge * c.visionDim, c.dim],
    'projector.b1': [c.dim],
    'projector.w2': [c.dim, c.dim],
    'projector.b2': [c.dim],
    ...(c.poolTokens ? { 'projector.pool': [c.merge * c.merge * c.colourPool, c.dim] } : {}),
    ...(c.tokenPositions ? { 'projector.pos': [imageTokens(c), c.dim] } : {}),
    ...(c.pointer ? { 'decoder.pointer': [imageTokens(c), c.dim] } : {}),
    ...(c.readout ? { 'decoder.readout': [c.dim, c.dim] } : {}),
    ...(c.countMass ? { 'decoder.mass': [MASS_FEATURES, c.dim] } : {}),
    ...(c.countPeaks ? { 'decoder.peaks': [PEAK_FEATURES, c.dim] } : {}),
    ...(c.countDetector ? { 'decoder.detect.q': [c.dim, DETECT_DIM], 'decoder.detect.k': [c.dim, DETECT_DIM], 'decoder.detect.bias': [1], 'decoder.detect.out': [1, c.dim] } : {}),
    ...(c.countLadder ? { 'decoder.detect.ladder': [LADDER_STEPS, c.dim] } : {}),
    ...(c.ladderBias ? { 'decoder.detect.ladder.bias': [c.dim] } : {}),
    ...(c.fineDetector ? fineDetectorShapes(c) : {}),
    ...(c.fineAim ? fineAimShapes(c) : {}),
    ...(c.countGate ? { 'decoder.detect.gate.w': [c.dim, 1], 'decoder.detect.gate.bias': [1] } : {}),
    'decoder.embed': [c.vocabSize, c.dim],
    'decoder.pos': [c.maxSeq, c.dim],
    'decoder.ln.g': [c.dim],
    'decoder.ln.b': [c.dim],
    'decoder.head': [c.dim, c.vocabSize],
  };
  const block = (prefix: string, d: number, hidden: number) => {
    shapes[`${prefix}.ln1.g`] = [d];
    shapes[`${prefix}.ln1.b`] = [d];
    shapes[`${prefix}.qkv.w`] = [d, 3 * d];
    shapes[`${prefix}.qkv.b`] = [3 * d];
    shapes[`${prefix}.proj.w`] = [d, d];
    shapes[`${prefix}.proj.b`] = [d];
    shapes[`${prefix}.ln2.g`] = [d];
    shapes[`${prefix}.ln2.b`] = [d];
    shapes[`${prefix}.fc.w`] = [d, hidden];
    shapes[`${prefix}.fc.b`] = [hidden];
    shapes[`${prefix}.out.w`] = [hidden, d];
    shapes[`${prefix}.out.b`] = [d];
  };
  for (let i = 0; i < c.visionLayers; i++) block(`vision.block${i}`, c.visionDim, 4 * c.visionDim);
  for (let i = 0; i < c.layers; i++) block(`decoder.block${i}`, c.dim, c.mlpDim);
  return shapes;
}

/** The fine detector's weights (fineDetector): a 4-px cell's features are the stem's second layer and the colour pool. */
function fineDetectorShapes(c: ModelConfig): Record<string, number[]> {
  const cellFeatures = convChannels(c)[1] + c.colourPool;
  return {
    'decoder.detect.fine.ln.g': [cellFeatures], 'decoder.detect.fine.ln.b': [cellFeatures],
    'decoder.detect.fine.reduce': [cellFeatures, FINE_REDUCE],
    'decoder.detect.fine.pos': [(c.imageSize / 4) ** 2, FINE_REDUCE],
    'decoder.detect.fine.w1': [9 * FINE_REDUCE, FINE_HIDDEN], 'decoder.detect.fine.b1': [FINE_HIDDEN],
    'decoder.detect.fine.w2': [FINE_HIDDEN, DETECT_DIM], 'decoder.detect.fine.b2': [DETECT_DIM],
    'decoder.detect.fine.q': [c.dim, DETECT_DIM], 'decoder.detect.fine.bias': [1], 'decoder.detect.fine.mix': [1],
    ...(c.finePixels
      ? { 'decoder.detect.fine.pixel.w': [3, FINE_PIXEL_FEATURES], 'decoder.detect.fine.pixel.b': [FINE_PIXEL_FEATURES], 'decoder.detect.fine.pixels': [finePixelCellDim, FINE_REDUCE] }
      : {}),
  };
}

/** The aim pathway's weights (fineAim): its key MLP over a 4-px cell's features and pixels, its query, "nowhere" logit, steer of the grounding head and pointer. */
function fineAimShapes(c: ModelConfig): Record<string, number[]> {
  const cellFeatures = convChannels(c)[1] + c.colourPool;
  return {
    'decoder.aim.ln.g': [cellFeatures], 'decoder.aim.ln.b': [cellFeatures],
    'decoder.aim.reduce': [cellFeatures, AIM_HIDDEN], 'decoder.aim.pixels': [finePixelCellDim, AIM_HIDDEN], 'decoder.aim.b1': [AIM_HIDDEN],
    'decoder.aim.w2': [AIM_HIDDEN, DETECT_DIM], 'decoder.aim.b2': [DETECT_DIM],
    'decoder.aim.q': [c.dim, DETECT_DIM], 'decoder.aim.null': [1],
    'decoder.aim.pointer': [(c.imageSize / 4) ** 2, c.dim],
    ...(c.aimSteer ? { 'decoder.aim.steer': [1] } : {}),
    ...(c.aimTrust ? { 'decoder.aim.trust.w': [c.dim, 1], 'decoder.aim.trust.b': [1] } : {}),
    ...(c.aimReach ? { 'decoder.aim.reach.w1': [9 * AIM_HIDDEN, AIM_HIDDEN], 'decoder.aim.reach.b1': [AIM_HIDDEN], 'decoder.aim.reach.w2': [AIM_HIDDEN, AIM_HIDDEN] } : {}),
  };
}

export function parameterCount(c: ModelConfig): number {
  return Object.values(weightShapes(c)).reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
}
