import type * as tf from '@tensorflow/tfjs-core';
import { type ModelConfig, validateConfig, weightShapes } from '../config';
import {
  CONFIG_JSON, DEFAULT_SHARD_BYTES, FORMAT, FORMAT_VERSION, MODEL_JSON, type ModelManifest, QUANTIZATIONS, type Quantization,
  README_MD, type ShardInfo, TOKENIZER_JSON, type WeightEntry, shardFileName,
} from './format';
import { encodeFloat16, quantizeUint8 } from './quantize';
import { sha256Hex } from './sha256';
import { tokenizerVocabSize } from './tokenizer-vocab';

export interface EncodeModelOptions {
  config: ModelConfig;
  /** tokenizer.json: its text (written byte for byte) or the parsed object (written as JSON). */
  tokenizerJson: string | object;
  /** README.md, a short model card. */
  card: string;
  /** Exactly the names and shapes of weightShapes(config), float32. Not disposed. */
  tensors: Record<string, tf.Tensor>;
  quantization: Quantization;
  /** Maximum bytes per shard file (default 4 MiB, as tfjs). */
  shardBytes?: number;
}

const utf8 = new TextEncoder();

/** JSON for people: indented, but any value that fits in 160 characters (a tensor entry, a shard) on one line. */
function prettyJson(v: unknown, indent = ''): string {
  const flat = JSON.stringify(v);
  if (typeof v !== 'object' || v === null || flat.length <= 160) return flat;
  const inner = `${indent}  `;
  if (Array.isArray(v)) return `[\n${v.map((x) => inner + prettyJson(x, inner)).join(',\n')}\n${indent}]`;
  const fields = Object.entries(v).filter(([, x]) => x !== undefined);
  return `{\n${fields.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${prettyJson(x, inner)}`).join(',\n')}\n${indent}}`;
}
const shapeText = (s: readonly number[]) => `[${s.join(', ')}]`;
const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Builds every file of a model directory (model.json, shards, config.json, tokenizer.json, README.md) in memory.
 * Refuses (throws Error) anything decodeModelFiles would reject: an invalid config, a tokenizer whose vocabulary
 * size differs from config.vocabSize, missing/unexpected/misshapen/non-float32 tensors, NaN/±Infinity values,
 * and values beyond float16's range when quantizing to float16.
 */
export async function encodeModelFiles(opts: EncodeModelOptions): Promise<Map<string, Uint8Array>> {
  const { quantization, tensors, card } = opts;
  const shardBytes = opts.shardBytes ?? DEFAULT_SHARD_BYTES;
  if (!QUANTIZATIONS.includes(quantization)) throw new Error(`encodeModelFiles: unknown quantization "${quantization}"`);
  if (!Number.isInteger(shardBytes) || shardBytes <= 0) throw new Error(`encodeModelFiles: shardBytes must be a positive integer (got ${shardBytes})`);

  let config: ModelConfig;
  try {
    config = validateConfig(opts.config);
  } catch (e) {
    throw new Error(`encodeModelFiles: invalid config: ${(e as Error).message}`, { cause: e });
  }

  const tokenizerText = typeof opts.tokenizerJson === 'string' ? opts.tokenizerJson : JSON.stringify(opts.tokenizerJson);
  let tokenizerParsed: unknown;
  try {
    tokenizerParsed = typeof opts.tokenizerJson === 'string' ? JSON.parse(opts.tokenizerJson) : opts.tokenizerJson;
  } catch (e) {
    throw new Error(`encodeModelFiles: tokenizerJson is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  const vocab = tokenizerVocabSize(tokenizerParsed);
  if (vocab !== config.vocabSize) {
    throw new Error(`encodeModelFiles: tokenizer vocabulary has ${vocab} entries but config says vocabSize ${config.vocabSize}`);
  }

  const shapes = weightShapes(config);
  for (const name of Object.keys(tensors)) {
    if (!(name in shapes)) throw new Error(`encodeModelFiles: unexpected tensor "${name}" (not in weightShapes(config))`);
  }
  for (const [name, shape] of Object.entries(shapes)) {
    const t = tensors[name];
    if (!t) throw new Error(`encodeModelFiles: missing tensor "${name}" ${shapeText(shape)}`);
    if (t.isDisposed) throw new Error(`encodeModelFiles: tensor "${name}" is disposed`);
    if (!sameShape(t.shape, shape)) throw new Error(`encodeModelFiles: tensor "${name}" has shape ${shapeText(t.shape)} but config needs ${shapeText(shape)}`);
    if (t.dtype !== 'float32') throw new Error(`encodeModelFiles: tensor "${name}" has dtype ${t.dtype}, expected float32`);
  }

  // Quantize each tensor in weightShapes order and lay the bytes end to end (as tf.io.encodeWeights would).
  const entries: WeightEntry[] = [];
  const parts: Uint8Array[] = [];
  for (const [name, shape] of Object.entries(shapes)) {
    const values = (await tensors[name]!.data()) as Float32Array;
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i]!)) throw new Error(`encodeModelFiles: tensor "${name}" has ${values[i]} at flat index ${i}`);
    }
    const entry: WeightEntry = { name, shape: [...shape], dtype: 'float32' };
    if (quantization === 'float32') {
      parts.push(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    } else if (quantization === 'float16') {
      const half = new Uint16Array(values.length);
      const overflow = encodeFloat16(values, half);
      if (overflow >= 0) throw new Error(`encodeModelFiles: tensor "${name}" has ${values[overflow]} at flat index ${overflow}, beyond float16's range (±65504)`);
      parts.push(new Uint8Array(half.buffer));
      entry.quantization = { dtype: 'float16' };
    } else {
      const { q, scale, min } = quantizeUint8(values);
      parts.push(q);
      entry.quantization = { dtype: 'uint8', scale, min };
    }
    entries.push(entry);
  }
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const data = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    data.set(p, offset);
    offset += p.byteLength;
  }

  // Split the concatenated buffer into shards, as tfjs does (a tensor may straddle two shards).
  const count = Math.max(1, Math.ceil(total / shardBytes));
  const files = new Map<string, Uint8Array>();
  const shards: ShardInfo[] = [];
  for (let i = 0; i < count; i++) {
    const bytes = data.slice(i * shardBytes, Math.min(total, (i + 1) * shardBytes));
    const path = shardFileName(i, count);
    shards.push({ path, bytes: bytes.byteLength, sha256: await sha256Hex(bytes) });
    files.set(path, bytes);
  }

  const manifest: ModelManifest = {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    weightsManifest: [{ paths: shards.map((s) => s.path), weights: entries }],
    shards,
    quantization,
  };
  files.set(MODEL_JSON, utf8.encode(`${prettyJson(manifest)}\n`));
  files.set(CONFIG_JSON, utf8.encode(`${JSON.stringify(config, null, 2)}\n`));
  files.set(TOKENIZER_JSON, utf8.encode(tokenizerText));
  files.set(README_MD, utf8.encode(card));
  return files;
}
