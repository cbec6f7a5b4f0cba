/**
 * npm run eval:count-crowding -- --eval runs/eval/A-f16.json,runs/eval/A-val.json,…
 *
 * Where counts fail: the count episodes of `npm run eval` outputs, regenerated from their seeds,
 * split by true count and by two things a count's scan of the view's areas can trip on:
 * - how close the two nearest counted objects are in the 64-px view (centre to centre): under
 *   ~8 px they can share one 8-px token;
 * - whether a counted object crosses a scan-area border, so that the scan could place it in
 *   either area (or both, or neither);
 * - how close the counted centre nearest a scan-area border lies to it (view px).
 * An episode that does not come out as evaluated stops it, naming the episode.
 */
import { cliArgs, commaList, requiredArg } from './lib/args';
import { evaluatedSamples } from './lib/eval-file';
import { closestCentreDistance } from '../src/world/boxes';
import { crossesViewScanBorder, viewScanBorderDistance } from '../src/world/regions';
import { viewPixels } from '../src/world/resolvability';

const args = cliArgs('npm run eval:count-crowding --', {
  eval: { type: 'string', help: 'npm run eval output(s), comma-separated (.json or .json.gz)' },
  help: { type: 'boolean', default: false, help: 'show this help' },
});
const evalPaths = commaList(requiredArg('eval', args.eval));

/** Right / episodes per key, in first-seen order unless sorted when printed. */
class Tally {
  private readonly cells = new Map<string, { n: number; right: number }>();
  add(key: string, right: boolean) {
    const c = this.cells.get(key) ?? { n: 0, right: 0 };
    this.cells.set(key, { n: c.n + 1, right: c.right + Number(right) });
  }
  line(key: string): string {
    const c = this.cells.get(key);
    return c ? `${c.right} / ${c.n} (${((100 * c.right) / c.n).toFixed(1)}%)` : '-';
  }
}

const DISTANCE_BINS: [string, number][] = [['< 8 px', 8], ['8–12 px', 12], ['12–16 px', 16], ['≥ 16 px', Infinity]];
const distanceBin = (px: number) => (Number.isFinite(px) ? DISTANCE_BINS.find(([, edge]) => px < edge)![0] : 'one target');
const BORDER_BINS: [string, number][] = [['< 0.5 px', 0.5], ['0.5–1 px', 1], ['1–2 px', 2], ['2–4 px', 4], ['≥ 4 px', Infinity]];
const borderBin = (px: number) => BORDER_BINS.find(([, edge]) => px < edge)![0];
const byDistance = new Tally();
const byBorderDistance = new Tally();
const byCountAndBorder = new Tally();
const counts = new Set<number>();
for (const path of evalPaths) {
  for (const { record, sample } of evaluatedSamples(path)) {
    if (record.family !== 'count') continue;
    byDistance.add(distanceBin(viewPixels(closestCentreDistance(sample.targets), sample.scene)), record.correct);
    const crossing = sample.targets.some((t) => crossesViewScanBorder(t, sample.scene));
    byCountAndBorder.add(`${sample.targets.length} ${crossing}`, record.correct);
    counts.add(sample.targets.length);
    byBorderDistance.add(borderBin(Math.min(...sample.targets.map((t) => viewScanBorderDistance(t, sample.scene)))), record.correct);
  }
}

console.log('count accuracy by the closest pair of counted objects (view px between centres): right / episodes');
for (const label of ['one target', ...DISTANCE_BINS.map(([l]) => l)]) console.log(`  ${label.padEnd(10)} ${byDistance.line(label)}`);
console.log('count accuracy by true count: no counted object crosses a view scan-area border; one does');
for (const k of [...counts].sort((x, y) => x - y)) console.log(`  ${k}: ${byCountAndBorder.line(`${k} false`)}; ${byCountAndBorder.line(`${k} true`)}`);
console.log('count accuracy by the counted centre nearest a view scan-area border (view px from it)');
for (const [label] of BORDER_BINS) console.log(`  ${label.padEnd(10)} ${byBorderDistance.line(label)}`);
