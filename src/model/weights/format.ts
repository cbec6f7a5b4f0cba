/**
 * The on-disk contract of a Squint model directory: file names, the model.json manifest type, and its
 * structural validation. model.json is a tfjs weights manifest (`weightsManifest` can be handed to
 * `tf.io.decodeWeights` as is, quantization included) plus our own per-shard byte counts and sha256.
 */
import { ModelFileError } from './errors';

export const MODEL_JSON = 'model.json';
export const CONFIG_JSON = 'config.json';
export const TOKENIZER_JSON = 'tokenizer.json';
export const README_MD = 'README.md';

export const FORMAT = 'squint-weights';
export const FORMAT_VERSION = 1;
/** Default maximum shard size, as tfjs uses (4 MiB). */
export const DEFAULT_SHARD_BYTES = 4 * 1024 * 1024;

export const QUANTIZATIONS = ['float32', 'float16', 'uint8'] as const;
/** How the weights are stored. float32: as is; float16: IEEE half; uint8: per-tensor affine, value = q·scale + min. */
export type Quantization = (typeof QUANTIZATIONS)[number];

export type WeightQuantization = { dtype: 'uint8'; scale: number; min: number } | { dtype: 'float16' };

/** One tensor in a weights group; assignable to tfjs's `WeightsManifestEntry`. */
export interface WeightEntry {
  name: string;
  shape: number[];
  dtype: 'float32';
  quantization?: WeightQuantization;
}

/** tfjs `WeightsManifestGroupConfig`: the entries' bytes, concatenated in order, split over `paths`. */
export interface WeightGroup {
  paths: string[];
  weights: WeightEntry[];
}

export interface ShardInfo {
  path: string;
  bytes: number;
  /** Lower-case hex sha256 of the shard file. */
  sha256: string;
}

/** The parsed model.json. */
export interface ModelManifest {
  format: typeof FORMAT;
  formatVersion: typeof FORMAT_VERSION;
  weightsManifest: WeightGroup[];
  shards: ShardInfo[];
  quantization: Quantization;
}

/** Progress of a load: `loadedBytes` of `totalBytes`, after (or while) reading `file`. */
export interface LoadProgress {
  file: string;
  loadedBytes: number;
  totalBytes: number;
}

/** Optional help a reader may use: the size model.json expects, and a sink for bytes as they stream in. */
export interface ReadHint {
  expectedBytes?: number;
  onBytes?: (loadedBytes: number) => void;
}

/** Reads one file of a model directory by its relative name; rejects when it is absent or unreadable. */
export type ReadFile = (file: string, hint?: ReadHint) => Promise<Uint8Array>;

/** A file name that stays inside the model directory: no separators, no leading dot. */
export function isPlainFileName(name: string): boolean {
  return /^[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(name) && name.length <= 255;
}

export const shardFileName = (index: number, count: number) => `weights.shard${index + 1}of${count}.bin`;
export const SHARD_FILE_PATTERN = /^weights\.shard\d+of\d+\.bin$/;

/** Bytes one entry occupies in its group's buffer. */
export function entryByteLength(e: WeightEntry): number {
  const size = e.shape.reduce((a, b) => a * b, 1);
  const bytesPerValue = e.quantization?.dtype === 'uint8' ? 1 : e.quantization?.dtype === 'float16' ? 2 : 4;
  return size * bytesPerValue;
}

function fail(fault: 'format' | 'dtype' | 'unexpected-tensor', detail: string): never {
  throw new ModelFileError(MODEL_JSON, fault, detail);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function checkKeys(obj: Record<string, unknown>, required: readonly string[], optional: readonly string[], where: string) {
  for (const k of required) if (!(k in obj)) fail('format', `${where} is missing field "${k}"`);
  for (const k of Object.keys(obj)) {
    if (!required.includes(k) && !optional.includes(k)) fail('format', `${where} has unknown field "${k}"`);
  }
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

function parseEntry(raw: unknown, where: string): WeightEntry {
  if (!isObject(raw)) return fail('format', `${where} is not an object`);
  checkKeys(raw, ['name', 'shape', 'dtype'], ['quantization'], where);
  const { name, shape, dtype, quantization } = raw;
  if (typeof name !== 'string' || name === '') return fail('format', `${where} has no name`);
  const what = `tensor "${name}"`;
  if (!Array.isArray(shape) || !shape.every(isCount)) return fail('format', `${what} has an invalid shape ${JSON.stringify(shape)}`);
  if (dtype !== 'float32') return fail('dtype', `${what} has unsupported dtype ${JSON.stringify(dtype)} (only "float32" is supported)`);
  const entry: WeightEntry = { name, shape: [...shape], dtype };
  if (quantization !== undefined) {
    if (!isObject(quantization)) return fail('format', `${what} has a quantization that is not an object`);
    const qd = quantization.dtype;
    if (qd === 'float16') {
      checkKeys(quantization, ['dtype'], [], `${what}'s quantization`);
      entry.quantization = { dtype: 'float16' };
    } else if (qd === 'uint8') {
      checkKeys(quantization, ['dtype', 'scale', 'min'], [], `${what}'s quantization`);
      const { scale, min } = quantization;
      if (typeof scale !== 'number' || !Number.isFinite(scale) || typeof min !== 'number' || !Number.isFinite(min)) {
        return fail('format', `${what} has uint8 quantization with invalid scale/min (${JSON.stringify(scale)}, ${JSON.stringify(min)})`);
      }
      entry.quantization = { dtype: 'uint8', scale, min };
    } else {
      return fail('dtype', `${what} has unknown quantization dtype ${JSON.stringify(qd)} (known: "uint8", "float16")`);
    }
  }
  return entry;
}

/**
 * Checks the structure of a parsed model.json (not yet against a config, nor the shard contents).
 * @throws ModelFileError on model.json, fault 'format', 'dtype' or 'unexpected-tensor' (a name listed twice).
 */
export function parseManifest(raw: unknown): ModelManifest {
  if (!isObject(raw)) return fail('format', 'is not a JSON object');
  checkKeys(raw, ['format', 'formatVersion', 'weightsManifest', 'shards', 'quantization'], [], 'model.json');
  if (raw.format !== FORMAT) fail('format', `format is ${JSON.stringify(raw.format)}, expected "${FORMAT}"`);
  if (raw.formatVersion !== FORMAT_VERSION) {
    fail('format', `unsupported formatVersion ${JSON.stringify(raw.formatVersion)} (this build reads ${FORMAT_VERSION})`);
  }
  const quantization = raw.quantization as Quantization;
  if (!QUANTIZATIONS.includes(quantization)) {
    fail('dtype', `unknown quantization ${JSON.stringify(raw.quantization)} (known: ${QUANTIZATIONS.join(', ')})`);
  }

  if (!Array.isArray(raw.weightsManifest) || raw.weightsManifest.length === 0) fail('format', 'weightsManifest must be a non-empty array');
  const names = new Set<string>();
  const groupPaths = new Set<string>();
  const weightsManifest = (raw.weightsManifest as unknown[]).map((g, gi): WeightGroup => {
    const where = `weightsManifest[${gi}]`;
    if (!isObject(g)) return fail('format', `${where} is not an object`);
    checkKeys(g, ['paths', 'weights'], [], where);
    if (!Array.isArray(g.paths) || g.paths.length === 0) return fail('format', `${where}.paths must be a non-empty array`);
    for (const p of g.paths) {
      if (typeof p !== 'string' || !isPlainFileName(p)) fail('format', `${where}.paths has an invalid file name ${JSON.stringify(p)}`);
      if (groupPaths.has(p)) fail('format', `shard "${p}" is listed twice in weightsManifest`);
      groupPaths.add(p);
    }
    if (!Array.isArray(g.weights)) return fail('format', `${where}.weights must be an array`);
    const weights = g.weights.map((e, ei) => parseEntry(e, `${where}.weights[${ei}]`));
    for (const e of weights) {
      if (names.has(e.name)) fail('unexpected-tensor', `tensor "${e.name}" is listed twice`);
      names.add(e.name);
      const q = e.quantization?.dtype ?? 'float32';
      if (q !== quantization) fail('dtype', `tensor "${e.name}" is stored as ${q} but the manifest's quantization is ${quantization}`);
    }
    return { paths: [...(g.paths as string[])], weights };
  });

  if (!Array.isArray(raw.shards)) return fail('format', 'shards must be an array');
  const shards = raw.shards.map((s, si): ShardInfo => {
    const where = `shards[${si}]`;
    if (!isObject(s)) return fail('format', `${where} is not an object`);
    checkKeys(s, ['path', 'bytes', 'sha256'], [], where);
    const { path, bytes, sha256 } = s;
    if (typeof path !== 'string' || !isPlainFileName(path)) return fail('format', `${where}.path is an invalid file name ${JSON.stringify(path)}`);
    if (!isCount(bytes)) return fail('format', `${where}.bytes must be a non-negative integer (got ${JSON.stringify(bytes)})`);
    if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)) return fail('format', `${where}.sha256 must be 64 lower-case hex digits`);
    return { path, bytes, sha256 };
  });
  const shardPaths = new Set<string>();
  for (const s of shards) {
    if (shardPaths.has(s.path)) fail('format', `shard "${s.path}" is listed twice in shards`);
    if (!groupPaths.has(s.path)) fail('format', `shards lists "${s.path}", which no weightsManifest group uses`);
    shardPaths.add(s.path);
  }
  for (const p of groupPaths) if (!shardPaths.has(p)) fail('format', `shard "${p}" has no entry (bytes, sha256) in shards`);

  return { format: FORMAT, formatVersion: FORMAT_VERSION, weightsManifest, shards, quantization };
}

/**
 * Checks that each group's entries need exactly the bytes its shards hold (after the entries were checked against the config).
 * @throws ModelFileError on model.json, fault 'format'.
 */
export function checkGroupSizes(manifest: ModelManifest): void {
  const bytesOf = new Map(manifest.shards.map((s) => [s.path, s.bytes]));
  manifest.weightsManifest.forEach((g, gi) => {
    const need = g.weights.reduce((n, e) => n + entryByteLength(e), 0);
    const have = g.paths.reduce((n, p) => n + (bytesOf.get(p) ?? 0), 0);
    if (need !== have) fail('format', `weightsManifest[${gi}]'s tensors need ${need} bytes but its shards hold ${have}`);
  });
}
