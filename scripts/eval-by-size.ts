/**
 * npm run eval:by-size -- --evals evals/v27c-f16.json.gz,evals/v27c-val.json.gz [--family colour,shape] [--by-targets | --by-zooms]
 *   [--answer-view shape=16,colour=9]
 *
 * Accuracy by how large the target is in the global view: each `npm run eval` episode's scene is
 * made again from its seed (with the evaluation's world options; an episode whose question or
 * truth comes out different is refused, naming it), and its smallest target's side in view px
 * binned. Per family and bin: episodes, accuracy, how often the model zoomed, and its accuracy
 * when it answered from the global view. This is where `train:sft --answer-view` thresholds come
 * from: the view size below which answering without a zoom goes wrong. `--by-targets` splits each
 * bin by how many targets the question has (a count's number), to tell size from crowding apart;
 * `--by-zooms` by how many zooms the model made (a shape of 4–6 view px answered after one 4×
 * zoom is read at 16–24 px, after two at 25–32).
 * `--answer-view` (as train:sft takes it) also says how often the oracle with those thresholds
 * would zoom on these episodes' resolvable questions: the tool rate the issue caps at 30%.
 */
import { cliArgs, listArg, parsedArg, commaList } from './lib/args';
import { evaluatedSamples } from './lib/eval-file';
import { DEFAULT_MIX, oraclePlan } from '../src/train/oracle';
import { answerViewPx } from './lib/training-mix';
import { FAMILIES, type Family } from '../src/world/types';
import { viewPixels } from '../src/world/resolvability';

const args = cliArgs('npm run eval:by-size --', {
  evals: { type: 'string', help: 'npm run eval outputs (runs/eval/…json, evals/…json.gz), comma-separated; their episodes are pooled' },
  family: { type: 'string', help: `families to show (default all: ${FAMILIES.join(',')})` },
  'by-targets': { type: 'boolean', default: false, help: 'split each bin by the number of targets (count: the true number)' },
  'by-zooms': { type: 'boolean', default: false, help: 'split each bin by the number of zooms the model made' },
  'answer-view': { type: 'string', help: "oracle thresholds to price (train:sft's --answer-view, e.g. shape=16,colour=9): how often it would zoom on the resolvable questions" },
  help: { type: 'boolean', default: false, help: 'show this help' },
});
const paths = commaList(args.evals);
if (!paths.length) {
  console.error('--evals is required: one or more npm run eval outputs, comma-separated');
  process.exit(2);
}
if (args['by-targets'] && args['by-zooms']) {
  console.error('--by-targets and --by-zooms split the same column: choose one');
  process.exit(2);
}
/** The column each size bin is split by, if any (its header). */
const split = args['by-targets'] ? 'targets' : args['by-zooms'] ? 'zooms' : null;
const shown = listArg<Family>('family', args.family, FAMILIES) ?? FAMILIES;
// no forced or missed zooms when pricing thresholds: only the thresholds decide
const pricedMix = args['answer-view'] === undefined ? null : { ...DEFAULT_MIX, recover: 0, zoomResolvable: 0, answerViewPx: parsedArg('answer-view', args['answer-view'], answerViewPx) };
const oracleZooms = { resolvable: 0, zoomed: 0 };

/** Upper edges of the view-px bins; the last bin is open. */
const BIN_EDGES = [4, 6, 8, 9, 10, 11, 12, 13, 14, 16, 20, 24];
const binOf = (px: number) => BIN_EDGES.findIndex((edge) => px < edge);
const binName = (i: number) => (i === -1 ? `≥${BIN_EDGES.at(-1)}` : `${i === 0 ? 0 : BIN_EDGES[i - 1]}–${BIN_EDGES[i]}`);

type Cell = { n: number; right: number; zoomed: number; direct: number; directRight: number };
const table = new Map<string, Cell>();
for (const path of paths) {
  for (const { record: r, sample } of evaluatedSamples(path)) {
    const seed = Number(r.id);
    if (pricedMix && sample.resolvable) {
      oracleZooms.resolvable++;
      if (oraclePlan(sample, seed, pricedMix).kind !== 'direct') oracleZooms.zoomed++;
    }
    if (!shown.includes(r.family)) continue;
    const px = Math.min(...sample.targets.map((b) => viewPixels(Math.max(b[2] - b[0], b[3] - b[1]), sample.scene)));
    const key = `${r.family}\t${binOf(px)}\t${split === 'targets' ? sample.targets.length : split === 'zooms' ? r.zooms : ''}`;
    const cell = table.get(key) ?? { n: 0, right: 0, zoomed: 0, direct: 0, directRight: 0 };
    cell.n++;
    if (r.correct) cell.right++;
    if (r.zooms > 0) cell.zoomed++;
    else {
      cell.direct++;
      if (r.correct) cell.directRight++;
    }
    table.set(key, cell);
  }
}

const pct = (a: number, b: number) => (b ? `${((100 * a) / b).toFixed(1)}%` : '—');
console.log(`family\tview px\t${split ? `${split}\t` : ''}episodes\taccuracy\tzoomed\tanswered from the view: n, accuracy`);
const splitValues = [...new Set([...table.keys()].map((k) => k.split('\t')[2]))].sort((a, b) => Number(a) - Number(b));
for (const family of shown) {
  for (let i = 0; i <= BIN_EDGES.length; i++) {
    const bin = i === BIN_EDGES.length ? -1 : i;
    for (const value of splitValues) {
      const c = table.get(`${family}\t${bin}\t${value}`);
      if (c) console.log(`${family}\t${binName(bin)}\t${split ? `${value}\t` : ''}${c.n}\t${pct(c.right, c.n)}\t${pct(c.zoomed, c.n)}\t${c.direct}, ${pct(c.directRight, c.direct)}`);
    }
  }
}
if (pricedMix) {
  const thresholds = Object.entries(pricedMix.answerViewPx).map(([f, px]) => `${f}=${px}`).join(',');
  console.log(`the oracle with ${thresholds} zooms on ${oracleZooms.zoomed} of ${oracleZooms.resolvable} resolvable episodes (${pct(oracleZooms.zoomed, oracleZooms.resolvable)}), all families`);
}
