/**
 * The one typed config of Squint's VLM, with named presets. Stored as config.json beside the
 * weights; `validateConfig` checks a loaded one field by field.
 */
export interface ModelConfig {
  /** Preset this config came from (informational). */
  readonly preset: string;
  /** Side of the square, letterboxed view the vision encoder sees, in pixels. */
  readonly imageSize: number;
  /** Side of one vision patch in pixels (patchify by reshape + matMul: no conv, WASM-friendly). */
  readonly patchSize: number;
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
    preset: 'tiny', imageSize: 32, patchSize: 8, visionDim: 16, visionLayers: 1, visionHeads: 2, merge: 2,
    dim: 32, layers: 1, heads: 2, mlpDim: 64, vocabSize: 0, maxSeq: 320,
  },
  /** The shipped model: ~1M parameters, trains in a couple of hours on 2 CPU cores (WASM). */
  default: {
    preset: 'default', imageSize: 64, patchSize: 8, visionDim: 64, visionLayers: 2, visionHeads: 2, merge: 2,
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

export const gridSide = (c: ModelConfig) => c.imageSize / c.patchSize;
export const patchCount = (c: ModelConfig) => gridSide(c) ** 2;
export const imageTokens = (c: ModelConfig) => (gridSide(c) / c.merge) ** 2;
export const patchDim = (c: ModelConfig) => c.patchSize * c.patchSize * 3;

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
  const config = { preset: typeof c.preset === 'string' ? c.preset : 'custom', ...Object.fromEntries(INTEGER_FIELDS.map((f) => [f, c[f]])) } as ModelConfig;
  if (config.imageSize % config.patchSize !== 0) throw new Error('config: imageSize must be a multiple of patchSize');
  if (gridSide(config) % config.merge !== 0) throw new Error('config: the patch grid must be a multiple of merge');
  if (config.dim % config.heads !== 0) throw new Error('config: dim must be a multiple of heads');
  if (config.visionDim % config.visionHeads !== 0) throw new Error('config: visionDim must be a multiple of visionHeads');
  return config;
}

/** Name → shape of every weight tensor the model expects (the contract of the weights file). */
export function weightShapes(c: ModelConfig): Record<string, number[]> {
  const shapes: Record<string, number[]> = {
    'vision.patch.w': [patchDim(c), c.visionDim],
    'vision.patch.b': [c.visionDim],
    'vision.pos': [patchCount(c), c.visionDim],
    'vision.ln.g': [c.visionDim],
    'vision.ln.b': [c.visionDim],
    'projector.w1': [c.merge * c.merge * c.visionDim, c.dim],
    'projector.b1': [c.dim],
    'projector.w2': [c.dim, c.dim],
    'projector.b2': [c.dim],
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

export function parameterCount(c: ModelConfig): number {
  return Object.values(weightShapes(c)).reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
}
