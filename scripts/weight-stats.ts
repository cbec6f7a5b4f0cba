/**
 * npm run weight-stats -- --model runs/sft-v5/checkpoint [--match pool]
 *
 * Shape, RMS and largest magnitude of each weight tensor of a model or checkpoint directory
 * (those whose name contains --match): e.g. how far a zero-initialised projection has grown.
 */
import { useNodeBackend } from './lib/backend';
import { cliArgs } from './lib/args';
import { loadSquintModel } from '../src/model/load';
import { nodeFileReader } from '../src/model/weights/node-files';

const args = cliArgs('npm run weight-stats --', {
  model: { type: 'string', default: 'models/default', help: 'model or checkpoint directory' },
  match: { type: 'string', default: '', help: 'only tensors whose name contains this' },
  help: { type: 'boolean', default: false, help: 'show this help' },
});
await useNodeBackend('wasm');
const model = await loadSquintModel(nodeFileReader(args.model));
for (const [name, t] of Object.entries(model.vlm.weights).filter(([n]) => n.includes(args.match))) {
  const values = await t.data();
  let squares = 0;
  let largest = 0;
  for (const v of values) squares += v * v, largest = Math.max(largest, Math.abs(v));
  console.log(`${name.padEnd(32)} [${t.shape.join(', ')}]`.padEnd(52) + `rms ${Math.sqrt(squares / values.length).toFixed(4)}  max ${largest.toFixed(4)}`);
}
model.dispose();
