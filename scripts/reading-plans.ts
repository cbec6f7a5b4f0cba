/**
 * npm run eval:reading-plans -- --probe evals/v37-framings5-test.json.gz,evals/v37-framings5-val3.json.gz
 *
 * Scores reading plans (src/agent/framings.ts) on `probe:framings --framings 5` outputs, whose
 * records keep every framing's answer, without reading anything again: one reading; the majority
 * of three, stopping once settled; the majority of all five; and the playground's plan, up to
 * five until one answer leads by two. For each: right, readings a question, and the paired
 * difference from the majority of three (± one standard error; won / lost).
 */
import { cliArgs, commaList, requiredArg } from './lib/args';
import { readRecordsFile } from './lib/eval-file';
import { answerSettled, majorityAnswer } from '../src/agent/framings';
import { isCorrect } from '../src/rl/answer';

const args = cliArgs('npm run eval:reading-plans --', {
  probe: { type: 'string', help: 'probe:framings --framings 5 output(s), comma-separated (.json or .json.gz)' },
  help: { type: 'boolean', default: false, help: 'show this help' },
});
interface ProbeRecord { truth: string; answers: (string | null)[] }
const records = commaList(requiredArg('probe', args.probe)).flatMap((path) => readRecordsFile<ProbeRecord>(path, 'npm run probe:framings').records);
if (records.some((r) => !Array.isArray(r.answers) || r.answers.length < 5)) {
  console.error('every record needs five readings: run probe:framings with --framings 5');
  process.exit(1);
}

/** The readings a plan of at most `count` takes, stopping once settled unless it reads them all. */
const readingsTaken = (answers: (string | null)[], count: number, readAll: boolean) => {
  let read = 1;
  while (read < count && (readAll || !answerSettled(answers.slice(0, read), count))) read++;
  return answers.slice(0, read);
};
const PLANS: [string, (answers: (string | null)[]) => (string | null)[]][] = [
  ['one reading', (a) => a.slice(0, 1)],
  ['majority of three, until settled', (a) => readingsTaken(a, 3, false)],
  ['majority of all five', (a) => readingsTaken(a, 5, true)],
  ['up to five, until one leads by two', (a) => readingsTaken(a, 5, false)],
];
const scored = PLANS.map(([name, plan]) => {
  const taken = records.map((r) => plan(r.answers));
  const right = taken.map((t, i) => isCorrect(t[majorityAnswer(t)?.index ?? 0] ?? null, records[i]!.truth));
  return { name, right, readings: taken.reduce((k, t) => k + t.length, 0) / records.length };
});
const baseline = scored[1]!.right;
const n = records.length;
console.log(`${n} questions`);
for (const { name, right, readings } of scored) {
  const d = right.map((r, i) => Number(r) - Number(baseline[i]));
  const mean = d.reduce((a, b) => a + b, 0) / n;
  const se = Math.sqrt(d.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1) / n);
  const won = d.filter((x) => x > 0).length, lost = d.filter((x) => x < 0).length;
  console.log(`${name.padEnd(36)} ${((100 * right.filter(Boolean).length) / n).toFixed(2).padStart(6)}%  ${readings.toFixed(2)} readings  against three ${(100 * mean).toFixed(2)} ± ${(100 * se).toFixed(2)} (${won} won, ${lost} lost)`);
}
