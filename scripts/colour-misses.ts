/**
 * npm run eval:colour-misses -- --eval runs/eval/A-f16.json,runs/eval/A-val.json,…
 *
 * What wrong colour answers name: the colour-family episodes of `npm run eval` outputs,
 * regenerated from their seeds. For each wrong answer, the largest other object of the answered
 * colour (the one most likely taken for the named shape) and its size in the 64-px view; and, for
 * every colour episode, accuracy by the target's size in the view. A colour question names its
 * target by shape, so an object that can pass for that shape is what a wrong answer reads.
 */
import { cliArgs, commaList, requiredArg } from './lib/args';
import { evaluatedSamples } from './lib/eval-file';
import { viewPixels } from '../src/world/resolvability';

const args = cliArgs('npm run eval:colour-misses --', {
  eval: { type: 'string', help: 'npm run eval output(s), comma-separated (.json or .json.gz)' },
  help: { type: 'boolean', default: false, help: 'show this help' },
});
const evalPaths = commaList(requiredArg('eval', args.eval));

const SIZE_BINS: [string, number][] = [['< 4 px', 4], ['4–8 px', 8], ['8–10 px', 10], ['10–12 px', 12], ['12–16 px', 16], ['≥ 16 px', Infinity]];
const sizeBin = (px: number) => SIZE_BINS.find(([, edge]) => px < edge)![0];
const byTargetSize = new Map<string, { n: number; right: number }>();
const byTakenSize = new Map<string, number>();
const takenShapes = new Map<string, number>();
let wrong = 0;
for (const path of evalPaths) {
  for (const { record, sample } of evaluatedSamples(path)) {
    if (record.family !== 'colour') continue;
    const target = sample.scene.objects.find((o) => o.id === sample.targetIds[0])!;
    const bin = sizeBin(viewPixels(target.size, sample.scene));
    const cell = byTargetSize.get(bin) ?? { n: 0, right: 0 };
    byTargetSize.set(bin, { n: cell.n + 1, right: cell.right + Number(record.correct) });
    if (record.correct) continue;
    wrong++;
    const taken = sample.scene.objects.filter((o) => o.id !== target.id && o.colour === record.answer).sort((a, b) => b.size - a.size)[0];
    const takenBin = taken ? sizeBin(viewPixels(taken.size, sample.scene)) : 'no object of that colour';
    byTakenSize.set(takenBin, (byTakenSize.get(takenBin) ?? 0) + 1);
    if (!taken) continue;
    const pair = `a ${taken.shape} taken for the ${target.shape}`;
    takenShapes.set(pair, (takenShapes.get(pair) ?? 0) + 1);
  }
}

const ordered = <T>(m: Map<string, T>) => [...SIZE_BINS.map(([b]) => b), 'no object of that colour'].filter((b) => m.has(b)).map((b) => [b, m.get(b)!] as const);
console.log('colour accuracy by the target\'s size in the view: right / episodes');
for (const [bin, c] of ordered(byTargetSize)) console.log(`  ${bin.padEnd(10)} ${c.right} / ${c.n} (${((100 * c.right) / c.n).toFixed(1)}%)`);
console.log(`\n${wrong} wrong answers, by the size of the largest other object of the answered colour:`);
for (const [bin, n] of ordered(byTakenSize)) console.log(`  ${bin.padEnd(24)} ${n}`);
console.log('\nthe commonest pairs: that object\'s shape, the named shape');
for (const [pair, n] of [...takenShapes].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`  ${pair.padEnd(34)} ${n}`);
