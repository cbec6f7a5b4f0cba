/**
 * npm run rl:report -- --run runs/rl-base [--svg docs/rl-curve.svg]
 *
 * Summarises a train:rl run from its log.jsonl: the curve in windows of --window steps (mean
 * reward, accuracy, tool-call rate, format errors per rollout, skipped groups), the greedy
 * evaluations it ran, throughput (rollouts/s, steps/min), and when the reward first rose (the
 * first window whose mean reward beats the first window's by more than its standard error).
 * Writes <run>/report.json; --svg also draws the curve (no dependencies: plain SVG).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliArgs, numberArg, requiredArg } from './lib/args';

const args = cliArgs('npm run rl:report --', {
  run: { type: 'string', help: 'train:rl output directory (holds log.jsonl)' },
  window: { type: 'string', default: '20', help: 'steps per window of the curve' },
  svg: { type: 'string', help: 'also write the curve as an SVG file here' },
  help: { type: 'boolean', default: false, help: 'show this help' },
});
const runDir = requiredArg('run', args.run);
const windowSize = numberArg('window', args.window, 1);

interface StepRow { step: number; rollouts: number; meanReward: number; accuracy: number; toolRate: number; formatErrors: number; skippedGroups: number; groups: number; rolloutMs: number; updateMs: number; time: number }
interface EvalRow { step: number; eval: { n: number; accuracy: number; toolRate: number; formatValidity: number } }

let lines: string[];
try {
  lines = readFileSync(join(runDir, 'log.jsonl'), 'utf8').split('\n').filter(Boolean);
} catch (e) {
  console.error(`cannot read ${join(runDir, 'log.jsonl')}: ${(e as Error).message}`);
  process.exit(1);
}
const rows = lines.map((l) => JSON.parse(l) as StepRow | EvalRow);
const steps = rows.filter((r): r is StepRow => 'meanReward' in r);
const evals = rows.filter((r): r is EvalRow => 'eval' in r).map((r) => ({ step: r.step, ...r.eval }));
if (steps.length < 2) {
  console.error(`${runDir}: fewer than 2 steps logged`);
  process.exit(1);
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
interface CurveWindow { steps: string; lastStep: number; reward: number; rewardSe: number; accuracy: number; toolRate: number; formatErrorRate: number; skippedGroupRate: number }
const windows: CurveWindow[] = [];
// a run stopped just past a window's end would leave a last window of a few steps, a noisy spike
// on the curve: fewer than half a window joins the one before it
const starts: number[] = [];
for (let i = 0; i < steps.length; i += windowSize) starts.push(i);
if (starts.length > 1 && steps.length - starts[starts.length - 1] < windowSize / 2) starts.pop();
for (const [k, i] of starts.entries()) {
  const w = steps.slice(i, k + 1 < starts.length ? starts[k + 1] : steps.length);
  const rewards = w.map((r) => r.meanReward);
  const m = mean(rewards);
  const se = Math.sqrt(mean(rewards.map((x) => (x - m) ** 2)) / Math.max(1, w.length - 1));
  windows.push({
    steps: `${w[0].step}-${w[w.length - 1].step}`, lastStep: w[w.length - 1].step, reward: m, rewardSe: se,
    accuracy: mean(w.map((r) => r.accuracy)), toolRate: mean(w.map((r) => r.toolRate)),
    formatErrorRate: mean(w.map((r) => r.formatErrors / r.rollouts)), skippedGroupRate: mean(w.map((r) => r.skippedGroups / r.groups)),
  });
}
const firstRise = windows.slice(1).find((w) => w.reward - windows[0].reward > Math.max(w.rewardSe, windows[0].rewardSe)) ?? null;
const minutes = (steps[steps.length - 1].time - steps[0].time) / 60000;
const rollouts = steps.reduce((n, r) => n + r.rollouts, 0);
const report = {
  run: runDir, steps: steps.length, window: windowSize, windows, evals,
  throughput: {
    rolloutsPerSecondInRollouts: (rollouts * 1000) / steps.reduce((n, r) => n + r.rolloutMs, 0),
    stepsPerMinute: (steps.length - 1) / minutes, wallMinutes: minutes,
  },
  rewardFirstRose: firstRise && { window: firstRise.steps, minutesIn: (steps.find((r) => r.step === firstRise.lastStep)!.time - steps[0].time) / 60000 },
};
writeFileSync(join(runDir, 'report.json'), JSON.stringify(report, null, 1));

const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
console.log('steps        reward         acc   tool  fmt-err  skipped');
for (const w of windows) console.log(`${w.steps.padEnd(12)} ${w.reward.toFixed(3)}±${w.rewardSe.toFixed(3)}  ${pct(w.accuracy).padStart(4)}  ${pct(w.toolRate).padStart(4)}  ${pct(w.formatErrorRate).padStart(6)}  ${pct(w.skippedGroupRate).padStart(6)}`);
for (const e of evals) console.log(`eval at step ${e.step} (greedy, ${e.n} held-out): acc ${pct(e.accuracy)}  tool ${pct(e.toolRate)}  format ${pct(e.formatValidity)}`);
console.log(`${report.throughput.rolloutsPerSecondInRollouts.toFixed(1)} rollouts/s during rollouts, ${report.throughput.stepsPerMinute.toFixed(1)} steps/min over ${minutes.toFixed(0)} min; ` +
  `reward first rose: ${report.rewardFirstRose ? `window ${report.rewardFirstRose.window}, ${report.rewardFirstRose.minutesIn.toFixed(1)} min in` : 'never'}`);
console.log(`wrote ${join(runDir, 'report.json')}`);

if (args.svg) {
  // three series on one 0..1 axis: reward (scaled by the max possible 2.2), accuracy, tool-call rate
  const W = 640, H = 260, L = 40, B = 30, T = 20, R = 110;
  const x = (step: number) => L + ((step - steps[0].step) / Math.max(1, steps[steps.length - 1].step - steps[0].step)) * (W - L - R);
  const all = [...windows.flatMap((w) => [w.reward / 2.2, w.accuracy, w.toolRate]), ...evals.flatMap((e) => [e.accuracy, e.toolRate])];
  const top = Math.min(1, Math.ceil(Math.max(...all) * 10 + 0.5) / 10);
  const y = (v: number) => T + (1 - v / top) * (H - T - B);
  const series = [
    { name: 'reward / 2.2', colour: '#1f6feb', value: (w: CurveWindow) => w.reward / 2.2 },
    { name: 'accuracy', colour: '#2da44e', value: (w: CurveWindow) => w.accuracy },
    { name: 'tool-call rate', colour: '#d4a72c', value: (w: CurveWindow) => w.toolRate },
  ];
  const path = (f: (w: CurveWindow) => number) => windows.map((w, i) => `${i ? 'L' : 'M'}${x(w.lastStep).toFixed(1)},${y(f(w)).toFixed(1)}`).join(' ');
  const grid = [0, 0.25, 0.5, 0.75, 1].map((f) => +(f * top).toFixed(3)).map((v) => `<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="#ddd"/><text x="${L - 6}" y="${y(v) + 4}" text-anchor="end">${v}</text>`).join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="#fff"/>${grid}
<text x="${(L + W - R) / 2}" y="${H - 6}" text-anchor="middle">GRPO step (means over ${windowSize}-step windows of sampled rollouts)</text>
${series.map((s, i) => `<path d="${path(s.value)}" fill="none" stroke="${s.colour}" stroke-width="2"/><text x="${W - R + 8}" y="${T + 14 + 16 * i}" fill="${s.colour}">${s.name}</text>`).join('\n')}
${evals.map((e) => `<circle cx="${x(e.step).toFixed(1)}" cy="${y(e.accuracy).toFixed(1)}" r="3" fill="none" stroke="#2da44e"/><circle cx="${x(e.step).toFixed(1)}" cy="${y(e.toolRate).toFixed(1)}" r="3" fill="none" stroke="#d4a72c"/>`).join('')}
${evals.length ? `<text x="${W - R + 8}" y="${T + 14 + 16 * 3}" fill="#555">○ greedy eval</text>` : ''}
</svg>\n`;
  writeFileSync(args.svg, svg);
  console.log(`wrote ${args.svg}`);
}
