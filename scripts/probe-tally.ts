/**
 * npm run probe:tally -- --model models/default [--train 1000 --test 300] [--hidden 0]
 *                        [--grid 8|16] [--context 1|3] [--targets centre|share]
 *
 * Can a count be summed rather than scanned? A count asks for the objects of one colour, and
 * each has its centre in exactly one cell. This probe trains, on a model's frozen vision (the
 * global view of count scenes), a per-cell head that says "an object of colour c has its centre
 * here" (sigmoid, one channel per colour), then counts a held-out scene as the rounded sum of
 * the asked colour's channel over all cells. No region borders to settle and no region holding
 * two: the two ways the region scan loses (README, stage 25 and after). It also sums each view
 * scan area (the 3 : 2 : 3 split) and scores that area's rounded sum like a scan's number.
 * `--grid 8` reads the encoder's patch features and colour pool (one cell per decoder token);
 * `--grid 16` the conv stem's 4-px cells before its last layer, and the colour pool over 4 px:
 * whether a finer grid than the tokens' would separate neighbours the tokens merge.
 * `--context 3` gives each cell its 3×3 neighbourhood too (zero past the view's edge): where an
 * object spills into the next cell, whether the centre is here can depend on both.
 * `--targets share` teaches each cell its share of each object's box instead of a 1 at the
 * centre (they still sum to the count). `--hidden N` puts a ReLU layer of N units before the
 * channels (0: linear).
 * Writes runs/eval/<model>-tally[-gG][-cK][-share][-hN].json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { useNodeBackend } from './lib/backend';
import { cliArgs, modelName, numberArg } from './lib/args';
import { countSceneInput } from './lib/count-scene';
import * as tf from '../src/model/tf';
import { loadSquintModel } from '../src/model/load';
import { nodeFileReader } from '../src/model/weights/node-files';
import { coverageShares } from '../src/train/grounding';
import { objectBox } from '../src/world/generate';
import { VIEW_SCAN_BORDERS } from '../src/world/regions';
import { createRng } from '../src/world/rng';
import { COLOUR_NAMES } from '../src/world/types';

const args = cliArgs('npm run probe:tally --', {
  model: { type: 'string', default: 'models/default', help: 'model directory (one token per patch)' },
  train: { type: 'string', default: '1000', help: 'training scenes (seeds from 5 000 000)' },
  test: { type: 'string', default: '300', help: 'held-out scenes (seeds from 6 000 000)' },
  steps: { type: 'string', default: '3000', help: 'Adam steps of the head' },
  hidden: { type: 'string', default: '0', help: 'ReLU units before the colour channels (0: a linear head)' },
  grid: { type: 'string', default: '8', help: '8: the encoder\'s patches; 16: the conv stem\'s 4-px cells' },
  context: { type: 'string', default: '1', help: '1: each cell alone; 3: with its 3×3 neighbourhood' },
  targets: { type: 'string', default: 'centre', help: 'centre: 1 in the cell holding an object\'s centre; share: each cell\'s share of its box' },
  help: { type: 'boolean', default: false, help: 'show this help' },
});
const steps = numberArg('steps', args.steps, 1);
const hidden = numberArg('hidden', args.hidden, 0, 1024);
const side = numberArg('grid', args.grid, 8, 16);
const context = numberArg('context', args.context, 1, 3);
if (![8, 16].includes(side)) throw new Error(`--grid must be 8 or 16, not ${args.grid}`);
if (![1, 3].includes(context)) throw new Error(`--context must be 1 or 3, not ${args.context}`);
if (!['centre', 'share'].includes(args.targets!)) throw new Error(`--targets must be centre or share, not ${args.targets}`);
await useNodeBackend('wasm');
const model = await loadSquintModel(nodeFileReader(args.model));
const { imageSize, patchSize, merge } = model.config;
if (merge !== 1) throw new Error(`${args.model} merges patches; this probe reads one token per patch (preset fine)`);
if (side === 16 && (model.config.stem !== 'conv' || imageSize / 4 !== 16)) throw new Error(`--grid 16 reads the conv stem's 4-px cells of a 64-px view; ${args.model} has a ${model.config.stem} stem and a ${imageSize}-px view`);
if (side === 8 && imageSize / patchSize !== 8) throw new Error(`--grid 8 reads one cell per patch; ${args.model} has ${imageSize / patchSize} a side`);
const P = side * side;
const C = COLOUR_NAMES.length;

/** Band 0, 1 or 2 of a view fraction: the view scan's 3 : 2 : 3 split (src/world/regions.ts). */
const band = (f: number) => VIEW_SCAN_BORDERS.filter((border) => f >= border).length;
const areaOfCell = (cell: number) => band((Math.floor(cell / side) + 0.5) / side) * 3 + band(((cell % side) + 0.5) / side);

interface Scenes {
  readonly x: tf.Tensor2D; // [scenes · P, features]
  readonly y: tf.Tensor2D; // [scenes · P, C]: each cell's target per colour
  readonly asked: number[]; // the asked colour of each scene
  readonly count: number[]; // its true count
  readonly areaCounts: number[][]; // per scene, the asked colour's centres in each of the nine view areas
}

/** One view's per-cell features [P, F]: the encoder's patches (grid 8) or the stem's 4-px cells (grid 16), each with its colour pool. */
function cellFeatures(input: tf.Tensor3D): tf.Tensor2D {
  if (side === 8) {
    const { features, pooled } = model.vlm.encode(input);
    return (pooled ? tf.concat([features, pooled], -1) : features).reshape([P, -1]) as tf.Tensor2D;
  }
  const cells = model.vlm.stemCells(input);
  return (model.config.colourPool > 0 ? tf.concat([cells, model.vlm.colourPoolCells(input, imageSize / side)], -1) : cells) as tf.Tensor2D;
}

async function scenes(firstSeed: number, n: number): Promise<Scenes> {
  const xs: tf.Tensor2D[] = [];
  const y = new Float32Array(n * P * C);
  const asked: number[] = [];
  const count: number[] = [];
  const areaCounts: number[][] = [];
  for (let i = 0; i < n; i++) {
    const seed = firstSeed + i;
    const { sample, input, letterbox: { scale, offsetX, offsetY } } = countSceneInput(model, seed);
    xs.push(tf.tidy(() => cellFeatures(tf.tensor3d(input, [1, ...model.patchShape]))));
    const colour = sample.scene.objects.find((o) => o.id === sample.targetIds[0])!.colour;
    const areas = new Array<number>(9).fill(0);
    for (const o of sample.scene.objects) {
      const c = COLOUR_NAMES.indexOf(o.colour);
      const vx = Math.min(imageSize - 1e-6, (o.cx * scale + offsetX) * imageSize);
      const vy = Math.min(imageSize - 1e-6, (o.cy * scale + offsetY) * imageSize);
      const centre = Math.floor((vy / imageSize) * side) * side + Math.floor((vx / imageSize) * side);
      if (o.colour === colour) areas[areaOfCell(centre)]++;
      if (args.targets === 'centre') y[(i * P + centre) * C + c] = 1;
      else {
        for (const [k, share] of coverageShares(objectBox(o, sample.scene), sample.scene, side)) {
          y[(i * P + k) * C + c] = Math.min(1, y[(i * P + k) * C + c] + share);
        }
      }
    }
    asked.push(COLOUR_NAMES.indexOf(colour));
    count.push(sample.targetIds.length);
    areaCounts.push(areas);
    await new Promise((r) => setImmediate(r)); // let @napi-rs/canvas free the scene's pixels
  }
  const x = tf.concat(xs) as tf.Tensor2D;
  tf.dispose(xs);
  return { x, y: tf.tensor2d(y, [n * P, C]), asked, count, areaCounts };
}

/** For global cell rows `rows` of a Scenes' x, the rows of their 3×3 neighbourhoods (the zero row past the edge), row by row. */
function neighbourhoodRows(rows: readonly number[], zeroRow: number): number[] {
  const out: number[] = [];
  for (const row of rows) {
    const scene = Math.floor(row / P), cell = row % P;
    const cy = Math.floor(cell / side), cx = cell % side;
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        const y = cy + dy, x = cx + dx;
        out.push(y < 0 || y >= side || x < 0 || x >= side ? zeroRow : scene * P + y * side + x);
      }
    }
  }
  return out;
}

/** The head's input for cell rows `rows` of standardised features (+ the zero row): each row's own, or its 3×3 neighbourhood's side by side. */
function headInput(standardised: tf.Tensor2D, rows: readonly number[]): tf.Tensor2D {
  if (context === 1) return tf.gather(standardised, rows) as tf.Tensor2D;
  return tf.gather(standardised, neighbourhoodRows(rows, standardised.shape[0] - 1)).reshape([rows.length, -1]) as tf.Tensor2D;
}

const train = await scenes(5_000_000, numberArg('train', args.train, 1));
const test = await scenes(6_000_000, numberArg('test', args.test, 1));
const F = train.x.shape[1];
const mean = train.x.mean(0, true);
const std = train.x.sub(mean).square().mean(0, true).sqrt().add(1e-5);
/** A Scenes' features standardised, with one zero row after them (the neighbourhood's outside). */
const padded = (s: Scenes) => tf.tidy(() => tf.concat([s.x.sub(mean).div(std), tf.zeros([1, F])]) as tf.Tensor2D);
const trainPadded = padded(train);
const testPadded = padded(test);
const D = F * context * context;
const rng = createRng(4);
const hiddenLayer = hidden > 0 ? { w: tf.variable(tf.randomNormal([D, hidden], 0, Math.sqrt(2 / D), 'float32', 1)), b: tf.variable(tf.zeros([hidden])) } : null;
const out = tf.variable(tf.randomNormal([hidden || D, C], 0, 0.01, 'float32', 2));
const bias = tf.variable(tf.fill([C], -4)); // centres are rare: start near their prior
const logits = (standardised: tf.Tensor2D, rows: readonly number[]) => tf.tidy(() => {
  let h = headInput(standardised, rows);
  if (hiddenLayer) h = tf.relu(h.matMul(hiddenLayer.w).add(hiddenLayer.b)) as tf.Tensor2D;
  return h.matMul(out).add(bias) as tf.Tensor2D;
});
const optimizer = tf.train.adam(2e-3);
for (let step = 1; step <= steps; step++) {
  const loss = tf.tidy(() => {
    const rows = Array.from({ length: 1024 }, () => rng.int(0, train.x.shape[0] - 1));
    return optimizer.minimize(() => tf.losses.sigmoidCrossEntropy(tf.gather(train.y, rows), logits(trainPadded, rows)) as tf.Scalar, true)!;
  });
  if (step % 1000 === 0 || step === steps) console.log(`step ${step}/${steps}  loss ${(await loss.data())[0].toFixed(4)}`);
  loss.dispose();
}

/** Each scene's asked-colour probability per cell, [scenes][P]. */
function askedProbabilities(s: Scenes, sPadded: tf.Tensor2D): number[][] {
  return s.count.map((_, i) => tf.tidy(() => {
    const rows = Array.from({ length: P }, (_, k) => i * P + k);
    return tf.sigmoid(logits(sPadded, rows)).slice([0, s.asked[i]], [P, 1]).reshape([P]).arraySync() as number[];
  }));
}
const summarise = (s: Scenes, sPadded: tf.Tensor2D) => {
  const probabilities = askedProbabilities(s, sPadded);
  const t = probabilities.map((p) => p.reduce((a, b) => a + b, 0));
  const right = (keep: (n: number) => boolean) => {
    const idx = s.count.map((_, i) => i).filter((i) => keep(s.count[i]));
    return { n: idx.length, right: idx.filter((i) => Math.round(t[i]) === s.count[i]).length / Math.max(1, idx.length), meanAbsError: idx.reduce((a, i) => a + Math.abs(t[i] - s.count[i]), 0) / Math.max(1, idx.length) };
  };
  // each view area's rounded sum, scored like a scan's number, by how many of the asked colour's centres it holds
  const areas = { none: { n: 0, right: 0 }, one: { n: 0, right: 0 }, twoOrMore: { n: 0, right: 0 } };
  probabilities.forEach((p, i) => {
    const sums = new Array<number>(9).fill(0);
    p.forEach((v, k) => (sums[areaOfCell(k)] += v));
    sums.forEach((sum, a) => {
      const truth = s.areaCounts[i][a];
      const bin = truth === 0 ? areas.none : truth === 1 ? areas.one : areas.twoOrMore;
      bin.n++;
      if (Math.round(sum) === truth) bin.right++;
    });
  });
  const byCount: Record<string, ReturnType<typeof right>> = { all: right(() => true), ...Object.fromEntries([1, 2, 3, 4, 5, 6].map((n) => [String(n), right((m) => m === n)])) };
  return { byCount, areas };
};
const report = { train: summarise(train, trainPadded), test: summarise(test, testPadded) };
const grid = side === 8 ? 'the encoder\'s 8-px patches' : 'the stem\'s 4-px cells';
console.log(`model ${args.model}: the asked colour's count as the rounded sum of a ${hidden ? `${hidden}-unit` : 'linear'} per-cell ${args.targets} head on ${grid}${context > 1 ? ' with their 3×3 neighbourhoods' : ''}, frozen`);
for (const k of ['all', '1', '2', '3', '4', '5', '6']) {
  const r = report.test.byCount[k];
  console.log(`test ${k.padEnd(4)} n ${String(r.n).padStart(4)}  right ${(100 * r.right).toFixed(1).padStart(5)}%  mean |error| ${r.meanAbsError.toFixed(2)}`);
}
const { none, one, twoOrMore } = report.test.areas;
console.log(`test view areas right, holding none ${none.right} / ${none.n}; one ${one.right} / ${one.n}; two or more ${twoOrMore.right} / ${twoOrMore.n}`);
console.log(`train all: right ${(100 * report.train.byCount.all.right).toFixed(1)}%`);
const tag = `${side === 16 ? '-g16' : ''}${context > 1 ? `-c${context}` : ''}${args.targets === 'share' ? '-share' : ''}${hidden ? `-h${hidden}` : ''}`;
const file = `runs/eval/${modelName(args.model)}-tally${tag}.json`;
await mkdir('runs/eval', { recursive: true });
await writeFile(file, JSON.stringify({ model: args.model, hidden, grid: side, context, targets: args.targets, steps, train: train.count.length, test: test.count.length, report }, null, 1));
console.log(`wrote ${file}`);
