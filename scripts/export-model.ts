/**
 * npm run export -- --from runs/sft-default/checkpoint --to models/default --quantization float16
 *
 * Writes a shippable model directory (weights quantized, config, tokenizer, model card) from a
 * training checkpoint, then loads it back to prove it is valid. `--preset NAME` first grows the
 * model into a preset with more pathways (init.ts growWeights: new ones start at zero, so it
 * computes what it did) so that a graft can bring them. `--take-from DIR --take PREFIXES`
 * then grafts another model's weights under those name prefixes in (src/model/graft.ts: e.g. a
 * fine detector trained further on its own, put back into the model whose ladder was taught on
 * it); `--set name=value` then fills named weights with a constant (e.g. decoder.detect.fine.mix=1:
 * the scan reads the fine detector's sum alone).
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { useNodeBackend } from './lib/backend';
import { cliArgs, parseNamedNumbers, commaList } from './lib/args';
import * as tf from '../src/model/tf';
import { graftWeights } from '../src/model/graft';
import { presetConfig } from '../src/model/config';
import { growWeights } from '../src/model/init';
import { loadSquintModel, modelFiles } from '../src/model/load';
import { SquintModel } from '../src/model/squint-model';
import { QUANTIZATIONS } from '../src/model/weights';
import { nodeFileReader } from '../src/model/weights/node-files';
import { quantizationArg, replaceModelDir } from './lib/model-dir';

const args = cliArgs('npm run export --', {
  from: { type: 'string', help: 'checkpoint or model directory to export' },
  to: { type: 'string', help: 'destination model directory (e.g. models/default)' },
  quantization: { type: 'string', default: 'float16', help: `one of ${QUANTIZATIONS.join(', ')}` },
  card: { type: 'string', help: 'markdown file to use as the model card (default: keep the source card)' },
  preset: { type: 'string', help: "grow the model into this preset first (e.g. 'gated-ladder-pixels', to take a donor's new pathway)" },
  'take-from': { type: 'string', help: 'a model or checkpoint of the same shapes to graft weights from (with --take)' },
  take: { type: 'string', help: "comma-separated weight-name prefixes to copy from --take-from, e.g. 'decoder.detect.fine.'" },
  set: { type: 'string', help: 'fill named weights with a constant before writing, e.g. decoder.detect.fine.mix=1' },
  help: { type: 'boolean', default: false, help: 'show this help' },
});
if (!args.from || !args.to) {
  console.error('--from and --to are required');
  process.exit(2);
}
if (Boolean(args['take-from']) !== Boolean(args.take)) {
  console.error('--take-from and --take go together: the model to graft from and the weight-name prefixes to take');
  process.exit(2);
}
const quantization = quantizationArg(args.quantization);
await useNodeBackend('wasm');
let model = await loadSquintModel(nodeFileReader(args.from));
if (args.preset) {
  try {
    const config = presetConfig(args.preset, model.tokenizer.vocabSize);
    const { weights, fresh } = growWeights(config, model.vlm.weights, args.from);
    tf.dispose(Object.values(model.vlm.weights));
    model = new SquintModel(config, model.tokenizer, weights);
    console.log(`grown into ${args.preset}; fresh: ${fresh.length ? fresh.join(', ') : 'none'}`);
  } catch (e) {
    console.error(`--preset: ${(e as Error).message}`);
    process.exit(2);
  }
}
if (args['take-from']) {
  const donor = await loadSquintModel(nodeFileReader(args['take-from']));
  try {
    const taken = graftWeights(model.vlm.weights, donor.vlm.weights, commaList(args.take));
    console.log(`took ${taken.length} weights from ${args['take-from']}: ${taken.join(', ')}`);
  } catch (e) {
    console.error(`--take: ${(e as Error).message}`);
    process.exit(2);
  } finally {
    donor.dispose();
  }
}
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
