import * as tf from '@tensorflow/tfjs-core';
import { type ModelConfig, validateConfig, weightShapes } from '../config';
import { ModelFileError } from './errors';
import {
  CONFIG_JSON, type LoadProgress, MODEL_JSON, type ModelManifest, type Quantization, type ReadFile, TOKENIZER_JSON,
  type WeightEntry, checkGroupSizes, entryByteLength, parseManifest,
} from './format';
import { isFloat16NonFinite } from './quantize';
import { sha256Hex } from './sha256';
import { tokenizerVocabSize } from './tokenizer-vocab';

export interface DecodedModel {
  config: ModelConfig;
  /** The parsed tokenizer.json (its vocabulary size checked against config.vocabSize). */
  tokenizerJson: unknown;
  /** Exactly weightShapes(config), float32, in that order. The caller owns (and disposes) them. */
  tensors: Record<string, tf.Tensor>;
  /** How the weights were stored. */
  quantization: Quantization;
}

const shapeText = (s: readonly number[]) => `[${s.join(', ')}]`;
const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));

async function readFile(read: ReadFile, file: string, hint?: Parameters<ReadFile>[1]): Promise<Uint8Array> {
  let bytes: unknown;
  try {
    bytes = await read(file, hint);
  } catch (e) {
    throw new ModelFileError(file, 'missing', `missing or unreadable (${errorText(e)})`, { cause: e });
  }
  if (bytes instanceof ArrayBuffer) return new Uint8Array(bytes);
  if (!(bytes instanceof Uint8Array)) throw new ModelFileError(file, 'missing', 'the reader did not return bytes (Uint8Array)');
  return bytes;
}

/** Settles every promise, then throws the first rejection in order (so which error wins is deterministic). */
async function allInOrder<T>(promises: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(promises);
  for (const s of settled) if (s.status === 'rejected') throw s.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}

function parseJson(file: string, bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    throw new ModelFileError(file, 'json', `malformed JSON (${errorText(e)})`, { cause: e });
  }
}

/** Checks the manifest's tensors against weightShapes(config): names and shapes, both ways. */
function checkContract(manifest: ModelManifest, shapes: Record<string, number[]>): void {
  const listed = new Set<string>();
  for (const group of manifest.weightsManifest) {
    for (const e of group.weights) {
      listed.add(e.name);
      const want = shapes[e.name];
      if (!want) throw new ModelFileError(MODEL_JSON, 'unexpected-tensor', `unexpected tensor "${e.name}" (config.json's model has no such weight)`);
      if (want.length !== e.shape.length || want.some((d, i) => d !== e.shape[i])) {
        throw new ModelFileError(MODEL_JSON, 'shape', `tensor "${e.name}" has shape ${shapeText(e.shape)} but config.json implies ${shapeText(want)}`);
      }
    }
  }
  for (const [name, shape] of Object.entries(shapes)) {
    if (!listed.has(name)) throw new ModelFileError(MODEL_JSON, 'missing-tensor', `tensor "${name}" ${shapeText(shape)} is missing`);
  }
}

/** Throws 'non-finite' if decoding `entry` from `bytes` (its own copy) would give NaN or ±Infinity. */
function checkFinite(entry: WeightEntry, bytes: ArrayBuffer, fileAt: (byteInEntry: number) => string): void {
  const q = entry.quantization;
  const fault = (index: number, what: string, bytesPerValue: number) => {
    throw new ModelFileError(fileAt(index * bytesPerValue), 'non-finite', `tensor "${entry.name}" decodes to ${what} at flat index ${index}`);
  };
  if (q === undefined) {
    const v = new Float32Array(bytes);
    for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i]!)) fault(i, String(v[i]), 4);
  } else if (q.dtype === 'float16') {
    const h = new Uint16Array(bytes);
    for (let i = 0; i < h.length; i++) if (isFloat16NonFinite(h[i]!)) fault(i, h[i]! & 0x3ff ? 'NaN' : 'Infinity', 2);
  } else {
    // Dequantized values are fround(q·scale + min), monotonic in q: the ends of the range bound them all.
    const lo = Math.fround(q.min);
    const hi = Math.fround(255 * q.scale + q.min);
    if (!Number.isFinite(lo) || !Number.isFinite(hi)) {
      throw new ModelFileError(MODEL_JSON, 'non-finite', `tensor "${entry.name}" has a uint8 range [${lo}, ${hi}] that is not finite in float32`);
    }
  }
}

/**
 * Loads and fully validates a model directory through `read` (see nodeFileReader, fetchFileReader). Reads
 * model.json, config.json and tokenizer.json, checks them (format, config, vocabulary, tensor names and shapes)
 * before fetching any shard, then reads the shards (concurrently), checks their sizes and sha256, checks that no
 * weight decodes to NaN/±Infinity, and decodes them with tf.io.decodeWeights.
 *
 * `onProgress` gets cumulative bytes over all files read (the three JSON files, then the shards; streaming readers
 * report within a shard too): non-decreasing, ending at `totalBytes`, which is known once model.json is parsed.
 *
 * @throws ModelFileError naming the file and the fault. No tensor outlives a failed call.
 */
export async function decodeModelFiles(read: ReadFile, onProgress?: (p: LoadProgress) => void): Promise<DecodedModel> {
  const [modelBytes, configBytes, tokenizerBytes] = await allInOrder(
    [MODEL_JSON, CONFIG_JSON, TOKENIZER_JSON].map((f) => readFile(read, f)),
  );
  const manifest = parseManifest(parseJson(MODEL_JSON, modelBytes));

  // Progress: per-file loaded bytes, capped at each file's expected size, summed.
  const expected = new Map<string, number>([
    [MODEL_JSON, modelBytes.byteLength], [CONFIG_JSON, configBytes.byteLength], [TOKENIZER_JSON, tokenizerBytes.byteLength],
    ...manifest.shards.map((s) => [s.path, s.bytes] as const),
  ]);
  const totalBytes = [...expected.values()].reduce((a, b) => a + b, 0);
  const loaded = new Map<string, number>();
  let loadedBytes = 0;
  const progress = (file: string, bytes: number) => {
    const now = Math.min(bytes, expected.get(file) ?? 0);
    const before = loaded.get(file) ?? 0;
    if (now <= before) return;
    loaded.set(file, now);
    loadedBytes += now - before;
    onProgress?.({ file, loadedBytes, totalBytes });
  };
  progress(MODEL_JSON, modelBytes.byteLength);
  progress(CONFIG_JSON, configBytes.byteLength);
  progress(TOKENIZER_JSON, tokenizerBytes.byteLength);

  let config: ModelConfig;
  try {
    config = validateConfig(parseJson(CONFIG_JSON, configBytes));
  } catch (e) {
    if (e instanceof ModelFileError) throw e;
    throw new ModelFileError(CONFIG_JSON, 'config', errorText(e), { cause: e });
  }
  const tokenizerJson = parseJson(TOKENIZER_JSON, tokenizerBytes);
  const vocab = tokenizerVocabSize(tokenizerJson);
  if (vocab !== config.vocabSize) {
    throw new ModelFileError(TOKENIZER_JSON, 'vocab-mismatch', `vocabulary has ${vocab} entries but config.json says vocabSize ${config.vocabSize}`);
  }
  const shapes = weightShapes(config);
  checkContract(manifest, shapes);
  checkGroupSizes(manifest);

  // Shards: read concurrently, each checked for size and checksum as it arrives.
  const shardBytes = new Map<string, Uint8Array>();
  await allInOrder(
    manifest.shards.map(async (shard) => {
      const bytes = await readFile(read, shard.path, { expectedBytes: shard.bytes, onBytes: (n) => progress(shard.path, n) });
      if (bytes.byteLength !== shard.bytes) {
        const short = bytes.byteLength < shard.bytes;
        throw new ModelFileError(shard.path, short ? 'truncated' : 'oversized',
          `has ${bytes.byteLength} bytes but model.json says ${shard.bytes} (${short ? 'truncated' : 'longer than expected'})`);
      }
      const sha = await sha256Hex(bytes);
      if (sha !== shard.sha256) throw new ModelFileError(shard.path, 'checksum', `sha256 mismatch: the file hashes to ${sha}, model.json says ${shard.sha256}`);
      progress(shard.path, bytes.byteLength);
      shardBytes.set(shard.path, bytes);
    }),
  );

  const tensors: Record<string, tf.Tensor> = {};
  try {
    for (const group of manifest.weightsManifest) {
      // Concatenate the group's shards; remember where each starts to name the file behind a bad value.
      const starts: number[] = [];
      let size = 0;
      for (const p of group.paths) {
        starts.push(size);
        size += shardBytes.get(p)!.byteLength;
      }
      const buffer = new Uint8Array(size);
      group.paths.forEach((p, i) => buffer.set(shardBytes.get(p)!, starts[i]));
      const fileAtOffset = (offset: number) => {
        let i = starts.length - 1;
        while (i > 0 && starts[i]! > offset) i--;
        return group.paths[i]!;
      };

      let offset = 0;
      for (const entry of group.weights) {
        const length = entryByteLength(entry);
        const bytes = buffer.slice(offset, offset + length).buffer;
        const entryStart = offset;
        checkFinite(entry, bytes, (byteInEntry) => fileAtOffset(entryStart + byteInEntry));
        const t = tf.tidy(() => tf.io.decodeWeights(bytes, [entry])[entry.name]!);
        tensors[entry.name] = t;
        if (t.dtype !== 'float32' || t.shape.length !== entry.shape.length || t.shape.some((d, i) => d !== entry.shape[i])) {
          throw new ModelFileError(MODEL_JSON, 'shape', `tensor "${entry.name}" decoded to ${t.dtype} ${shapeText(t.shape)}`);
        }
        offset += length;
      }
    }
  } catch (e) {
    for (const t of Object.values(tensors)) t.dispose();
    if (e instanceof ModelFileError) throw e;
    throw new ModelFileError(MODEL_JSON, 'format', `weights could not be decoded (${errorText(e)})`, { cause: e });
  }

  const ordered: Record<string, tf.Tensor> = {};
  for (const name of Object.keys(shapes)) ordered[name] = tensors[name]!;
  return { config, tokenizerJson, tensors: ordered, quantization: manifest.quantization };
}
