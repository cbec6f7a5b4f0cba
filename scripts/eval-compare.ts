/**
 * npm run eval:compare -- --a runs/eval/<before>.json --b runs/eval/<after>.json
 *
 * Two `npm run eval` results on the same episodes (same --seed and --n): per split, both
 * accuracies and their paired difference B − A with its standard error; then, for each, how often
 * the first zoom contained the target on unresolvable glyph and shape questions and how accuracy
 * depends on it; then what each model's relation and count thoughts say (src/rl/thought-audit.ts).
 * The README's paired differences, aim figures and thought audit come from here.
 *
 * Several evaluations each, comma-separated and in the same order (--a test.json,val.json --b
 * …): their episodes are pooled, so a ship decision can rest on all of them at once (the test and
 * validation sets have disagreed by 2–3 points between close candidates). A file ending in .gz
 * is read gunzipped (the shipped model's evaluations are committed that way, under evals/).
 */
import { cliArgs, commaList } from './lib/args';
import { readEvaluation } from './lib/eval-file';
import { aimBreakdown, pairedDifference } from '../src/rl/compare';
import { countAnswers, countScanAudit, recoveryAudit, relationAudit } from '../src/rl/thought-audit';
import type { EpisodeRecord } from '../src/rl/eval';
import { FAMILIES } from '../src/world/types';

const args = cliArgs('npm run eval:compare --', {
  a: { type: 'string', help: 'first eval JSON (runs/eval/…), or several comma-separated to pool their episodes' },
  b: { type: 'string', help: 'second eval JSON, the same episodes (as many files, in the same order)' },
  help: { type: 'boolean', default: false, help: 'show this help' },
});
if (!args.a || !args.b) {
  console.error('--a and --b are required');
  process.exit(2);
}

const records = (path: string): EpisodeRecord[] => readEvaluation(path).records;
const [aPaths, bPaths] = [args.a, args.b].map(commaList);
if (aPaths.length !== bPaths.length) {
  console.error(`--a names ${aPaths.length} evaluations and --b ${bPaths.length}: pair each of A's with B's of the same episodes`);
  process.exit(2);
}
const [aSets, bSets] = [aPaths.map(records), bPaths.map(records)];
aSets.forEach((set, i) => {
  if (set.length === bSets[i].length) return;
  console.error(`${aPaths[i]} holds ${set.length} episodes and ${bPaths[i]} ${bSets[i].length}: pair evaluations run with the same --seed and --n`);
  process.exit(2);
});
const [a, b] = [aSets.flat(), bSets.flat()];

const pct = (x: number) => (Number.isNaN(x) ? '   -' : `${(100 * x).toFixed(1)}%`);
const splits: [string, (r: EpisodeRecord) => boolean][] = [
  ['overall', () => true],
  ['unresolvable', (r) => !r.resolvable],
  ['resolvable', (r) => r.resolvable],
  ['glyph+shape', (r) => r.family === 'glyph' || r.family === 'shape'], // the families that have unresolvable targets
  ...FAMILIES.map((f): [string, (r: EpisodeRecord) => boolean] => [f, (r) => r.family === f]),
];
console.log(`A ${args.a}\nB ${args.b}\n${'split'.padEnd(14)} ${'n'.padStart(5)}  ${'A'.padStart(6)}  ${'B'.padStart(6)}  B − A (± s.e.)`);
try {
  for (const [name, keep] of splits) {
    const idx = a.map((r, i) => (keep(r) ? i : -1)).filter((i) => i >= 0);
    const p = pairedDifference(idx.map((i) => a[i]), idx.map((i) => b[i]));
    console.log(`${name.padEnd(14)} ${String(p.n).padStart(5)}  ${pct(p.accuracyA).padStart(6)}  ${pct(p.accuracyB).padStart(6)}  ${(100 * p.difference).toFixed(1)} ± ${(100 * p.standardError).toFixed(1)} points`);
  }
  // the ship rule (README, "Measured") asks B to be ahead overall by two standard errors
  const all = pairedDifference(a, b);
  const verdict = all.wins + all.losses === 0 ? 'A and B are right in the same episodes' : `B − A = ${(all.difference / all.standardError).toFixed(2)} standard errors`;
  console.log(`overall: B right where A is wrong in ${all.wins} episodes, the reverse in ${all.losses}; ${verdict}`);
} catch (e) {
  console.error((e as Error).message);
  process.exit(1);
}

console.log('\nunresolvable targets by the first zoom: n (accuracy) when it contains the target / misses / no zoom');
for (const [label, rs] of [['A', a], ['B', b]] as const) {
  for (const family of ['glyph', 'shape'] as const) {
    const { hit, miss, noZoom } = aimBreakdown(rs.filter((r) => r.family === family && !r.resolvable));
    console.log(`${label} ${family.padEnd(6)} ${hit.n} (${pct(hit.accuracy)}) / ${miss.n} (${pct(miss.accuracy)}) / ${noZoom.n} (${pct(noZoom.accuracy)})`);
  }
}

console.log('\nrelation thoughts: n, in the oracle\'s form, naming one object twice; regions that decide the asked axis (right) / do not (right)');
for (const [label, rs] of [['A', a], ['B', b]] as const) {
  const r = relationAudit(rs);
  console.log(`${label} ${r.n}, ${r.parsed}, ${r.sameObjectTwice}; ${r.decided.n} (${r.decided.right}) / ${r.undecided.n} (${r.undecided.right})`);
}
console.log('\ncount: answers per true count');
for (const [label, rs] of [['A', a], ['B', b]] as const) {
  for (const [truth, row] of [...countAnswers(rs)].sort(([x], [y]) => Number(x) - Number(y))) {
    console.log(`${label} ${truth}: ${[...row].sort(([x], [y]) => x.localeCompare(y)).map(([said, k]) => `${said}×${k}`).join(' ')}`);
  }
}
// scored on both splits: a model trained with --count-areas view scans the view's areas, older ones the thirds
for (const areas of ['thirds', 'view'] as const) {
  const countScans = [['A', countScanAudit(a, areas)], ['B', countScanAudit(b, areas)]] as const;
  if (countScans.every(([, c]) => c.regions === 0)) continue; // records from before view areas were recorded
  console.log(`\ncount scans on the ${areas === 'thirds' ? "image's thirds" : "view's token-aligned areas"}: n, region-by-region scans, answer = their sum; regions right / scored (missed, phantom); scans all right`);
  for (const [label, c] of countScans) {
    console.log(`${label} ${c.n}, ${c.scans}, ${c.answerIsSum}; ${c.regionsRight} / ${c.regions} (${c.missed}, ${c.phantom}); ${c.allRight}`);
  }
  console.log('count scan regions by the objects they hold: right / regions, holding none; one; two or more');
  for (const [label, c] of countScans) console.log(`${label} ${c.byObjects.map((t) => `${t.right} / ${t.n}`).join('; ')}`);
  if (countScans.some(([, c]) => c.looked.some((t) => t.n > 0))) {
    console.log('count scan areas marked ? and looked at closer, by the objects they hold: its crop counted right / areas, holding none; one; two or more');
    for (const [label, c] of countScans) console.log(`${label} ${c.looked.map((t) => `${t.right} / ${t.n}`).join('; ')}`);
  }
}

console.log('\nrecovery: first zoom missed: n, then said so, ended right; first zoom held the target: n, said it missed');
for (const [label, rs] of [['A', a], ['B', b]] as const) {
  const r = recoveryAudit(rs);
  console.log(`${label} ${r.missed.n}, ${r.missed.saidSo}, ${r.missed.right}; ${r.hit.n}, ${r.hit.saidMissed}`);
}
