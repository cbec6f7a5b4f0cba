/**
 * npx tsx bench/load.ts [--backends wasm,cpu] [--quick]
 *
 * Loading the model: bytes of the model directory as shipped (float16) and as float32 / uint8
 * (the files `npm run export` writes, made here in memory by the same modelFiles()), plain and
 * gzip-compressed; and load-to-first-token time for each quantization, split into
 *   read      the files' bytes, one after another (from disk for the shipped model, a memory copy otherwise)
 *   validate  checksums, shapes, dequantization, tensors, tokenizer (loadSquintModel from memory)
 *   first     the prompt and question image through the decoder: the first token's logits
 * The browser's cold load adds the network (the bytes below) and its cached load the Cache
 * API read; both are measured by the Chromium benchmark, not here.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as tf from '../src/model/tf';
import { loadSquintModel, modelFiles } from '../src/model/load';
import { nodeFileReader } from '../src/model/weights/node-files';
import type { Quantization, ReadFile } from '../src/model/weights';
import { promptText } from '../src/agent/format';
import { generateSample } from '../src/world/generate';
import { sampleImage } from '../src/agent/episode-image';
import { createNodeCanvas } from '../src/world/node-canvas';
import { context2d } from '../src/world/canvas';
import { backendsArg, median, quick, round, table, useBackend, writeResult } from './lib';

const DIR = 'models/default';
const REPS = quick ? 2 : 5;

const shipped = new Map<string, Uint8Array>();
for (const name of await readdir(DIR)) shipped.set(name, new Uint8Array(await readFile(join(DIR, name))));

const sizes = (files: Map<string, Uint8Array>) => {
  let bytes = 0;
  let gzip = 0;
  let weights = 0;
  for (const [name, b] of files) {
    bytes += b.byteLength;
    gzip += gzipSync(b, { level: 6 }).byteLength;
    if (name.endsWith('.bin')) weights += b.byteLength;
  }
  return { bytes, gzipBytes: gzip, weightBytes: weights };
};

const memoryReader = (files: Map<string, Uint8Array>): ReadFile => async (name) => {
  const b = files.get(name);
  if (!b) throw new Error(`no ${name}`);
  return b;
};

const results: Record<string, object> = {};
const rows: (string | number)[][] = [['backend', 'weights', 'MB', 'gzip MB', 'read ms', 'validate ms', 'first token ms', 'total ms']];
const sizeTable: Record<string, object> = {};
for (const backend of backendsArg()) {
  const b0 = performance.now();
  await useBackend(backend);
  const backendInitMs = performance.now() - b0;
  // the other quantizations, encoded from the shipped weights by the export path
  const base = await loadSquintModel(nodeFileReader(DIR));
  const card = new TextDecoder().decode(shipped.get('README.md') ?? new Uint8Array());
  const variants: [Quantization, Map<string, Uint8Array>][] = [
    ['float16', shipped],
    ['float32', await modelFiles(base, 'float32', card)],
    ['uint8', await modelFiles(base, 'uint8', card)],
  ];
  base.dispose();
  const sample = generateSample(1_000_000_000, {});
  const image = sampleImage(sample, createNodeCanvas);
  const perQuant: Record<string, object> = {};
  for (const [q, files] of variants) {
    sizeTable[q] ??= sizes(files);
    const reps: { read: number; validate: number; first: number }[] = [];
    for (let i = 0; i < REPS + 1; i++) {
      // read: every file's bytes, one after another (from disk for the shipped model)
      const t0 = performance.now();
      const bytes = new Map<string, Uint8Array>();
      if (q === 'float16') for (const name of files.keys()) bytes.set(name, await nodeFileReader(DIR)(name));
      else for (const [name, b] of files) bytes.set(name, b.slice());
      const readMs = performance.now() - t0;
      // validate: checksums, shapes, dequantization, tensors, tokenizer, from memory
      const tv = performance.now();
      const model = await loadSquintModel(memoryReader(bytes));
      const validate = performance.now() - tv;
      const t1 = performance.now();
      const session = model.newSession();
      const ids = model.tokenizer.encode(promptText(sample.question));
      const imageAt = ids.indexOf(model.tokenizer.special('<image>'));
      await session.appendTokens(ids.slice(0, imageAt));
      await session.appendImage(model.patches(context2d(image.canvas).getImageData(0, 0, image.size.width, image.size.height)));
      await session.appendTokens(ids.slice(imageAt + 1));
      const first = performance.now() - t1;
      session.dispose();
      model.dispose();
      if (i > 0) reps.push({ read: readMs, validate, first }); // the first load warms the kernels
    }
    const m = (k: 'read' | 'validate' | 'first') => round(median(reps.map((r) => r[k])), 1);
    perQuant[q] = { readMs: m('read'), validateMs: m('validate'), firstTokenMs: m('first'), totalMs: round(m('read') + m('validate') + m('first'), 1) };
    const s = sizeTable[q] as ReturnType<typeof sizes>;
    rows.push([backend, q, round(s.bytes / 1e6, 2), round(s.gzipBytes / 1e6, 2), m('read'), m('validate'), m('first'), round(m('read') + m('validate') + m('first'), 1)]);
  }
  results[backend] = { backendInitMs: round(backendInitMs, 1), loadToFirstToken: perQuant };
  if (tf.memory().numTensors > 0) console.warn(`${backend}: ${tf.memory().numTensors} tensors left`);
}
console.log('\n' + table(rows));
await writeResult('load', {
  method: `model directory bytes (all files; weights alone in weightBytes), gzip level 6 for comparison; load-to-first-token = loadSquintModel + prompt and image through the decoder, median of ${REPS} after one warm-up load`,
  sizes: sizeTable,
  results,
});
