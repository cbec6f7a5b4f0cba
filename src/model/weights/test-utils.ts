/** Fixtures shared by this folder's tests (not part of the public API). */
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { type ModelConfig, presetConfig, weightShapes } from '../config';
import { type Quantization, type ReadFile, MODEL_JSON } from './format';
import { encodeModelFiles } from './encode';
import { sha256Hex } from './sha256';

export const V = 40;

export async function useCpu() {
  await tf.setBackend('cpu');
  await tf.ready();
}

/** A Unigram tokenizer.json with `vocab` pieces. */
export function fakeTokenizer(vocab: number): object {
  return {
    version: '1.0',
    added_tokens: [{ id: 0, content: '<pad>', special: true }, { id: 1, content: '<eos>', special: true }],
    normalizer: null,
    pre_tokenizer: { type: 'Metaspace', replacement: '▁' },
    model: { type: 'Unigram', unk_id: 2, vocab: Array.from({ length: vocab }, (_, i) => [i < 3 ? `<s${i}>` : `▁p${i}`, -i / 10]) },
  };
}

/** Deterministic random weights for `config`, with a few awkward tensors: constant, tiny (float16 subnormals), large. */
export function randomTensors(config: ModelConfig, seed = 1): Record<string, tf.Tensor> {
  const out: Record<string, tf.Tensor> = {};
  Object.entries(weightShapes(config)).forEach(([name, shape], i) => {
    out[name] = tf.tidy(() => {
      if (name.endsWith('.ln1.g')) return tf.ones(shape);
      if (name.endsWith('.ln2.b')) return tf.fill(shape, -0.25);
      const r = tf.randomNormal(shape, 0, 0.5, 'float32', seed * 1000 + i);
      if (name === 'vision.pos') return tf.mul(r, 1e-5);
      if (name === 'projector.b2') return tf.mul(r, 2000);
      if (name.endsWith('.fc.b')) return tf.add(tf.abs(r), 0.5); // all positive: no zero nudging
      return r;
    });
  });
  return out;
}

export function disposeAll(tensors: Record<string, tf.Tensor>) {
  for (const t of Object.values(tensors)) t.dispose();
}

export const tinyConfig = (vocab = V) => presetConfig('tiny', vocab);

export async function encodeTiny(quantization: Quantization, shardBytes?: number) {
  const config = tinyConfig();
  const tensors = randomTensors(config);
  const files = await encodeModelFiles({ config, tokenizerJson: fakeTokenizer(V), card: '# tiny\n', tensors, quantization, shardBytes });
  return { config, tensors, files };
}

/** A reader over an in-memory directory; rejects for a missing file like a file system would. */
export function memoryReader(files: Map<string, Uint8Array>): ReadFile {
  return async (file) => {
    const bytes = files.get(file);
    if (!bytes) throw new Error(`ENOENT: no such file, open '${file}'`);
    return bytes;
  };
}

const utf8 = new TextEncoder();
export const readJson = (files: Map<string, Uint8Array>, file: string) => JSON.parse(new TextDecoder().decode(files.get(file)!)) as any;
export const writeJson = (files: Map<string, Uint8Array>, file: string, v: unknown) => files.set(file, utf8.encode(JSON.stringify(v)));

/** After editing shard bytes on purpose: recompute their sizes and checksums in model.json. */
export async function rehash(files: Map<string, Uint8Array>) {
  const m = readJson(files, MODEL_JSON);
  for (const s of m.shards) {
    s.bytes = files.get(s.path)!.byteLength;
    s.sha256 = await sha256Hex(files.get(s.path)!);
  }
  writeJson(files, MODEL_JSON, m);
}

export const copyFiles = (files: Map<string, Uint8Array>) => new Map([...files].map(([k, v]) => [k, v.slice()]));
