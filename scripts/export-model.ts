/**
 * npm run export -- --from runs/sft-default/checkpoint --to models/default --quantization float16
 *
 * Writes a shippable model directory (weights quantized, config, tokenizer, model card) from a
 * training checkpoint, then loads it back to prove it is valid. `--set name=value` fills named
 * weights with a constant first (e.g. decoder.detect.fine.mix=1: the scan reads the fine
 * detector's sum alone).
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { useNodeBackend } from './lib/backend';
import { cliArgs, parseNamedNumbers } from './lib/args';
import * as tf from '../src/model/tf';
import { loadSquintModel, modelFiles } from '../src/model/load';
import { QUANTIZATIONS } from '../src/model/weights';
import { nodeFileReader } from '../src/model/weights/node-files';
import { quantizationArg, replaceModelDir } from './lib/model-dir';

const args = cliArgs('npm run export --', {
  from: { type: 'string', help: 'checkpoint or model directory to export' },
  to: { type: 'string', help: 'destination model directory (e.g. models/default)' },
  quantization: { type: 'string', default: 'float16', help: `one of ${QUANTIZATIONS.join(', ')}` },
  card: { type: 'string', help: 'markdown file to use as the model card (default: keep the source card)' },
  set: { type: 'string', help: 'fill named weights with a constant before writing, e.g. decoder.detect.fine.mix=1' },
  help: { type: 'boolean', default: false, help: 'show this help' },
});
if (!args.from || !args.to) {
  console.error('--from and --to are required');
  process.exit(2);
}
const quantization = quantizationArg(args.quantization);
await useNodeBackend('wasm');
const model = await loadSquintModel(nodeFileReader(args.from));
for (const [name, value] of Object.entries(parseNamedNumbers('set', args.set))) {
  const old = model.vlm.weights[name];
  if (!old) {
    console.error(`--set ${name}: the ${model.config.preset} model has no such weight`);
    process.exit(2);
  }
  model.vlm.weights[name] = tf.fill(old.shape, value);
  old.dispose();
  console.log(`${name} set to ${value}`);
}
const card = args.card ? await readFile(args.card, 'utf8') : existsSync(join(args.from, 'README.md')) ? await readFile(join(args.from, 'README.md'), 'utf8') : '';
const files = await modelFiles(model, quantization, card);
const bytes = await replaceModelDir(args.to, files);
console.log(`wrote ${args.to}: ${files.size} files, ${(bytes / 1e6).toFixed(2)} MB (${quantization})`);
