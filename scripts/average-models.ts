/**
 * npm run average -- --from checkpoints/stage23,runs/sft-repro23/checkpoint --to runs/soup --quantization float32
 *
 * A "model soup" (src/model/average.ts): the element-wise mean of the weights of models trained
 * from one starting point, written as a model directory like `npm run export` writes. Refuses
 * models whose configs, tokenizers or weight shapes differ, and a destination that is one of the
 * sources (it would be deleted before it is written: a checkpoint's Adam state would be lost).
 * When every source is an SFT checkpoint with an aux head and the mean is float32, their aux heads
 * are averaged too and written beside it as a step-0 checkpoint without Adam moments, so that
 * `train:sft --init-from <the mean>` starts with a trained head (an iterated soup).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { useNodeBackend } from './lib/backend';
import { cliArgs, commaList } from './lib/args';
import { averageTensorMaps, averageWeights } from '../src/model/average';
import * as tf from '../src/model/tf';
import { hasCheckpoint, readOptimizerTensors, writeTrainingState } from './lib/checkpoint';
import { loadSquintModel, modelFiles } from '../src/model/load';
import { QUANTIZATIONS } from '../src/model/weights';
import { nodeFileReader } from '../src/model/weights/node-files';
import { quantizationArg, replaceModelDir } from './lib/model-dir';

const args = cliArgs('npm run average --', {
  from: { type: 'string', help: 'two or more checkpoint or model directories, comma-separated' },
  to: { type: 'string', help: 'destination model directory' },
  quantization: { type: 'string', default: 'float32', help: `one of ${QUANTIZATIONS.join(', ')}` },
  card: { type: 'string', help: 'markdown file to use as the model card (default: none)' },
  help: { type: 'boolean', default: false, help: 'show this help' },
});
const sources = commaList(args.from);
if (sources.length < 2 || !args.to) {
  console.error('--from (two or more directories, comma-separated) and --to are required');
  process.exit(2);
}
if (sources.some((dir) => resolve(dir) === resolve(args.to!))) {
  console.error(`--to ${args.to} is one of the models being averaged; write the mean somewhere else`);
  process.exit(2);
}
const quantization = quantizationArg(args.quantization);

const fail = (message: string): never => {
  console.error(`npm run average: ${message}`);
  process.exit(2);
};
await useNodeBackend('wasm');
const models = await Promise.all(sources.map((dir) => loadSquintModel(nodeFileReader(dir)).catch((e: Error) => fail(`${dir}: ${e.message}`))));
const mean = (() => {
  try {
    return averageWeights(models);
  } catch (e) {
    return fail(`${(e as Error).message} (models: ${sources.join(', ')})`);
  }
})();
const card = args.card ? await readFile(args.card, 'utf8') : '';
const files = await modelFiles(models[0], quantization, card, mean);
const bytes = await replaceModelDir(args.to, files);
console.log(`wrote ${args.to}: the mean of ${sources.length} models, ${files.size} files, ${(bytes / 1e6).toFixed(2)} MB (${quantization})`);
models.forEach((m) => m.dispose());
tf.dispose(Object.values(mean));

const checkpoints = sources.filter(hasCheckpoint);
if (checkpoints.length > 0 && (quantization !== 'float32' || checkpoints.length < sources.length)) {
  console.log(`aux heads not averaged: that needs every source to be an SFT checkpoint and --quantization float32 (${checkpoints.length} of ${sources.length} are checkpoints; ${quantization})`);
} else if (checkpoints.length === sources.length) {
  const auxHeads: Record<string, tf.Tensor>[] = [];
  for (const dir of sources) {
    const optimizer = await readOptimizerTensors(dir); // the weights were read above
    const aux = Object.fromEntries(Object.entries(optimizer).filter(([name]) => name.startsWith('aux.')));
    tf.dispose(Object.values(optimizer).filter((t) => !Object.values(aux).includes(t)));
    auxHeads.push(aux);
  }
  if (auxHeads.every((a) => Object.keys(a).length > 0)) {
    const meanAux = (() => {
      try {
        return averageTensorMaps(auxHeads, 'aux head');
      } catch (e) {
        return fail(`${(e as Error).message} (checkpoints: ${sources.join(', ')})`);
      }
    })();
    await writeTrainingState(args.to, meanAux, { step: 0, dataCursor: 0, args: { averageOf: sources } });
    console.log(`and the mean of their aux heads (${Object.keys(meanAux).join(', ')}): --init-from ${args.to} starts a stage with it`);
  } else {
    console.log('aux heads not averaged: not every checkpoint has one (trained with --aux-weight 0)');
  }
}
