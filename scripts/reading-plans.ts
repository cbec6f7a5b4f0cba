/**
 * npm run eval:reading-plans -- --probe evals/v37-framings5-test.json.gz,evals/v37-framings5-val3.json.gz
 *
 * Scores reading plans (src/agent/framings.ts) on `probe:framings --framings 5` outputs, whose
 * records keep every framing's answer, without reading anything again: one reading; the majority
 * of three, stopping once settled; the majority of all five; and the playground's plan, up to
 * five until one answer leads by two. For each: right, readings a question, and the paired
 * difference from the majority of three (± one standard error; won / lost).
 *
 * With `--second` (another model's outputs on the same seeds) it also scores two models read
 * together, each plan still stopping once one answer leads by two: the models taking the framings
 * in turn (the first model on framings 1, 3, 5, the second on 2 and 4), and both models on each
 * framing (the first model's reading, then the second's, framing by framing, at most ten), and
 * each plan against the first model's up to five as well.
 */
import { cliArgs, commaList, requiredArg } from './lib/args';
import { readRecordsFile } from './lib/eval-file';
import { answerSettled, majorityAnswer } from '../src/agent/framings';
import { isCorrect } from '../src/rl/answer';
import { pairedDifference } from '../src/rl/compare';

const args = cliArgs('npm run eval:reading-plans --', {
  probe: { type: 'string', help: 'probe:framings --framings 5 output(s), comma-separated (.json or .json.gz)' },
  second: { type: 'string', help: "a second model's probe:framings --framings 5 output(s) on the same seeds, comma-separated" },
  help: { type: 'boolean', default: false, help: 'show this help' },
});
interface ProbeRecord { seed: number; truth: string; answers: (string | null)[] }

/** The records of these files, each with five readings; exits with code 1 naming the problem. */
function probeRecords(files: string): ProbeRecord[] {
  const records = commaList(files).flatMap((path) => readRecordsFile<ProbeRecord>(path, 'npm run probe:framings').records);
  if (records.some((r) => !Array.isArray(r.answers) || r.answers.length < 5)) {
    console.error('every record needs five readings: run probe:framings with --framings 5');
    process.exit(1);
  }
  return records;
}
const records = probeRecords(requiredArg('probe', args.probe));
/** The second model's answers, in the order of `records`; exits with code 1 when a seed is missing. */
const second = args.second === undefined ? null : (() => {
  const bySeed = new Map(probeRecords(args.second).map((r) => [r.seed, r]));
  return records.map((r) => {
    const other = bySeed.get(r.seed);
    if (!other || other.truth !== r.truth) {
      console.error(`seed ${r.seed}: ${other ? 'another truth' : 'missing'} in --second (read both models on the same seeds and world)`);
      process.exit(1);
    }
    return other.answers;
  });
})();

/** The readings a plan of at most `order.length` takes, in that order, stopping once settled unless it reads them all. */
const readingsTaken = (order: (string | null)[], readAll: boolean) => {
  let read = 1;
  while (read < order.length && (readAll || !answerSettled(order.slice(0, read), order.length))) read++;
  return order.slice(0, read);
};
/** A plan: the readings it may take for question `i`, in order, and whether it reads them all. */
type Plan = [name: string, order: (i: number) => (string | null)[], readAll: boolean];
const own = (i: number) => records[i]!.answers;
const PLANS: Plan[] = [
  ['one reading', (i) => own(i).slice(0, 1), false],
  ['majority of three, until settled', (i) => own(i).slice(0, 3), false],
  ['majority of all five', (i) => own(i).slice(0, 5), true],
  ['up to five, until one leads by two', (i) => own(i).slice(0, 5), false],
];
if (second) PLANS.push(
  ['second model, up to five', (i) => second[i]!.slice(0, 5), false],
  ['the models in turn, up to five', (i) => [0, 1, 2, 3, 4].map((f) => (f % 2 === 0 ? own(i) : second[i]!)[f]!), false],
  ['both models on each framing, up to ten', (i) => [0, 1, 2, 3, 4].flatMap((f) => [own(i)[f]!, second[i]![f]!]), false],
);
const scored = PLANS.map(([name, order, readAll]) => {
  const taken = records.map((_, i) => readingsTaken(order(i), readAll));
  const right = taken.map((t, i) => isCorrect(t[majorityAnswer(t)?.index ?? 0] ?? null, records[i]!.truth));
  return { name, right, readings: taken.reduce((k, t) => k + t.length, 0) / records.length };
});
const n = records.length;
/** The paired difference of `right` from `baseline` in points: mean ± one standard error (won, lost). */
function paired(right: boolean[], baseline: boolean[]): string {
  const outcomes = (rs: boolean[]) => rs.map((correct, i) => ({ id: String(i), correct }));
  const p = pairedDifference(outcomes(baseline), outcomes(right));
  return `${(100 * p.difference).toFixed(2)} ± ${(100 * p.standardError).toFixed(2)} (${p.wins} won, ${p.losses} lost)`;
}
const [three, playground] = [scored[1]!.right, scored[3]!.right];
console.log(`${n} questions`);
for (const { name, right, readings } of scored) {
  const against = `against three ${paired(right, three)}` + (second ? `, against up to five ${paired(right, playground)}` : '');
  console.log(`${name.padEnd(40)} ${((100 * right.filter(Boolean).length) / n).toFixed(2).padStart(6)}%  ${readings.toFixed(2)} readings  ${against}`);
}
