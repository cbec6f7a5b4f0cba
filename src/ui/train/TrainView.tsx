/** The Train tab: the run's settings and controls, live curves, evaluation, rollouts and checkpoints. */
import { useEffect } from 'react';
import type { StepPoint } from '../../storage/runs';
import { Checkpoints } from './Checkpoints';
import { EvalTable } from './EvalTable';
import { Gallery } from './Gallery';
import { type ChartSeries, TrainChart } from './TrainChart';
import { TrainForm } from './TrainForm';
import { discardRun, evaluateNow, openTrainTab, pauseTraining, resumeTraining, startTraining } from './train-actions';
import { useSquint } from '../store';

const REWARD: ChartSeries[] = [{ label: 'reward', colour: '#1c7ed6', value: (p) => p.reward, spread: (p) => p.rewardStd }];
const RATES: ChartSeries[] = [
  { label: 'accuracy', colour: '#2b8a3e', value: (p) => p.accuracy },
  { label: 'tool calls', colour: '#e8590c', value: (p) => p.toolRate },
  { label: 'format errors', colour: '#c92a2a', value: (p) => p.formatErrors, dash: true },
];
const LOSS: ChartSeries[] = [
  { label: 'loss', colour: '#5f3dc4', value: (p) => p.loss },
  { label: 'KL', colour: '#868e96', value: (p) => p.kl, dash: true },
];
const SPEED: ChartSeries[] = [{ label: 'rollouts/s', colour: '#0b7285', value: (p) => p.rolloutsPerS }];
const UNIT: [number, number] = [0, 1];

const STATE_TEXT = {
  idle: 'No run', loading: 'Loading…', evaluating: 'Evaluating…', running: 'Training', pausing: 'Pausing…', paused: 'Paused', error: 'Failed',
} as const;

function fmt(x: number | null | undefined, digits = 3) {
  return x === null || x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(digits);
}

function Latest() {
  const history = useSquint((s) => s.history);
  const last: StepPoint | undefined = history[history.length - 1];
  return (
    <dl className="latest" aria-label="Latest step">
      <div><dt>step</dt><dd data-testid="train-step">{last?.step ?? 0}</dd></div>
      <div><dt>reward</dt><dd>{fmt(last?.reward)} ± {fmt(last?.rewardStd, 2)}</dd></div>
      <div><dt>accuracy</dt><dd>{last ? `${(100 * last.accuracy).toFixed(0)}%` : '–'}</dd></div>
      <div><dt>tool calls</dt><dd>{last ? `${(100 * last.toolRate).toFixed(0)}%` : '–'}</dd></div>
      <div><dt>format errors</dt><dd>{last ? `${(100 * last.formatErrors).toFixed(0)}%` : '–'}</dd></div>
      <div><dt>KL</dt><dd>{fmt(last?.kl, 4)}</dd></div>
      <div><dt>loss</dt><dd>{fmt(last?.loss, 4)}</dd></div>
      <div><dt>rollouts/s</dt><dd>{fmt(last?.rolloutsPerS, 1)}</dd></div>
      {/* the whole reward curve, for tests and for copying */}
      <output hidden data-testid="train-history" data-rewards={history.map((p) => p.reward.toFixed(4)).join(',')}
        data-rollouts-per-s={history.map((p) => p.rolloutsPerS.toFixed(2)).join(',')} data-times={history.map((p) => p.time).join(',')} />
    </dl>
  );
}

function Controls() {
  const state = useSquint((s) => s.trainState);
  const detail = useSquint((s) => s.trainDetail);
  const step = useSquint((s) => s.trainStep);
  const stored = useSquint((s) => s.storedRun);
  const run = useSquint((s) => s.trainRun);
  const autosave = useSquint((s) => s.lastAutosave);
  const backend = useSquint((s) => s.trainBackend);
  const busy = state === 'loading' || state === 'evaluating' || state === 'pausing';
  const active = state === 'running';
  return (
    <div className="train-controls">
      <div className="buttons">
        <button type="button" className="primary" disabled={busy || active}
          onClick={() => { if (!run || confirm('Start a new run? The current run and its autosave are replaced (saved checkpoints stay).')) startTraining(); }}>{run ? 'Start a new run' : 'Start training'}</button>
        {active
          ? <button type="button" onClick={pauseTraining}>Pause</button>
          : <button type="button" onClick={resumeTraining} disabled={busy || !run}>Resume</button>}
        <button type="button" className="quiet" onClick={evaluateNow} disabled={busy || !run || !!stored}>Evaluate now</button>
        <button type="button" className="quiet" onClick={() => { if (confirm('Forget this run and its autosave? Saved checkpoints stay.')) discardRun(); }} disabled={!run || busy}>Discard run</button>
      </div>
      <p className="status" role="status" data-testid="train-state" data-state={state}>
        <strong>{STATE_TEXT[state]}</strong>
        {run && <> · from <em>{run.start.name}</em> · step {stored ? stored.step : step}</>}
        {detail && <> · {detail}</>}
        {stored && <> · saved by an earlier visit {new Date(stored.updatedAt).toLocaleString()}; press Resume to continue from its last autosave</>}
        {autosave !== null && !stored && <span className="muted small"> · autosaved at step {autosave}</span>}
        {backend && <span className="muted small"> · {backend.name === 'wasm' ? `WASM, ${backend.threads} thread${backend.threads === 1 ? '' : 's'}` : backend.name}</span>}
      </p>
    </div>
  );
}

export function TrainView() {
  const state = useSquint((s) => s.trainState);
  useEffect(() => openTrainTab(), []);
  const locked = state === 'running' || state === 'loading' || state === 'evaluating' || state === 'pausing';
  return (
    <main className="train-view" aria-label="Train">
      <section className="train-left">
        <p className="intro">
          Fine-tune the model with GRPO and DeepEyes' reward, here in the browser: for each prompt it samples a group of episodes,
          scores them (0.8·correct + 0.2·format + 1.2·correct-with-a-zoom), and makes the better ones in each group more likely.
        </p>
        <TrainForm disabled={locked} />
        <Controls />
        <Checkpoints />
      </section>
      <section className="train-right">
        <Latest />
        <div className="charts">
          <TrainChart testId="chart-reward" title="Reward (mean ± std)" series={REWARD} />
          <TrainChart testId="chart-rates" title="Accuracy, tool calls, format errors" series={RATES} range={UNIT} />
          <TrainChart testId="chart-loss" title="Loss and KL" series={LOSS} />
          <TrainChart testId="chart-speed" title="Rollouts per second" series={SPEED} />
        </div>
        <EvalTable />
        <Gallery />
      </section>
    </main>
  );
}
