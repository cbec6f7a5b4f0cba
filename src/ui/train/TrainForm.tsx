/** The next run: where it starts, which tasks, and the hyperparameters (with DeepEyes' defaults where they fit). */
import { useId } from 'react';
import { FAMILIES } from '../../world/types';
import { DIFFICULTIES, TRAIN_BOUNDS, type TrainSettings } from '../../worker/train-settings';
import { useSquint } from '../store';

type NumKey = keyof typeof TRAIN_BOUNDS;

function Num({ k, label, step, hint }: { k: NumKey; label: string; step: number; hint?: string }) {
  const id = useId();
  const value = useSquint((s) => s.draft[k]);
  const update = useSquint((s) => s.updateDraft);
  const [lo, hi, integer] = TRAIN_BOUNDS[k];
  return (
    <div className="field compact">
      <label htmlFor={id} title={hint}>{label}</label>
      <input id={id} type="number" min={lo} max={hi} step={step} value={value}
        onChange={(e) => {
          const v = Number(e.target.value);
          if (e.target.value === '' || !Number.isFinite(v)) return;
          const clamped = Math.min(hi, Math.max(lo, integer ? Math.round(v) : v));
          update({ [k]: clamped } as Partial<TrainSettings>);
        }} />
      {hint && <p className="hint">{hint}</p>}
    </div>
  );
}

const DIFFICULTY_LABEL = { easy: 'Easy', medium: 'Medium', hard: 'Hard', mixed: 'Mixed (all)' } as const;

export function TrainForm({ disabled }: { disabled: boolean }) {
  const draft = useSquint((s) => s.draft);
  const update = useSquint((s) => s.updateDraft);
  const startFrom = useSquint((s) => s.startFrom);
  const setStartFrom = useSquint((s) => s.setStartFrom);
  const bundled = useSquint((s) => s.bundled);
  const checkpoints = useSquint((s) => s.checkpoints);
  return (
    <fieldset className="train-form" disabled={disabled}>
      <legend>New run</legend>
      <div className="field">
        <label htmlFor="train-start">Start from</label>
        <select id="train-start" value={startFrom} onChange={(e) => setStartFrom(e.target.value)}>
          <optgroup label="Shipped with the app">
            {bundled.map((b) => <option key={b} value={`bundled:${b}`}>{b}</option>)}
          </optgroup>
          {checkpoints.length > 0 && (
            <optgroup label="Saved in this browser">
              {checkpoints.map((c) => <option key={c.id} value={`saved:${c.id}`}>{c.name} (step {c.meta.step})</option>)}
            </optgroup>
          )}
        </select>
      </div>
      <div className="field">
        <span className="label">Question families</span>
        <div className="checks">
          {FAMILIES.map((f) => (
            <label key={f} className="check">
              <input type="checkbox" checked={draft.families.includes(f)}
                onChange={(e) => update({ families: e.target.checked ? FAMILIES.filter((x) => x === f || draft.families.includes(x)) : draft.families.filter((x) => x !== f) })} />
              {f}
            </label>
          ))}
        </div>
      </div>
      <div className="field-grid">
        <div className="field compact">
          <label htmlFor="train-difficulty">Difficulty</label>
          <select id="train-difficulty" value={draft.difficulty} onChange={(e) => update({ difficulty: e.target.value as TrainSettings['difficulty'] })}>
            {DIFFICULTIES.map((d) => <option key={d} value={d}>{DIFFICULTY_LABEL[d]}</option>)}
          </select>
        </div>
        <Num k="scenePool" label="Scene pool" step={1} hint="0: a new scene for every prompt. N: cycle over N fixed scenes (learning shows fast)." />
      </div>
      <details className="hyper" open>
        <summary>Hyperparameters</summary>
        <div className="field-grid">
          <Num k="promptsPerStep" label="Prompts per step (P)" step={1} />
          <Num k="groupSize" label="Group size (G)" step={1} hint="DeepEyes: 16" />
          <Num k="lr" label="Learning rate" step={0.00001} />
          <Num k="temperature" label="Temperature" step={0.05} />
          <Num k="maxTurns" label="Max turns" step={1} hint="DeepEyes: 5" />
          <Num k="maxTokensPerTurn" label="Max tokens per turn" step={1} />
          <Num k="rewardAccuracy" label="Reward: accuracy" step={0.1} hint="DeepEyes: 0.8" />
          <Num k="rewardFormat" label="Reward: format" step={0.1} hint="DeepEyes: 0.2" />
          <Num k="rewardTool" label="Reward: tool" step={0.1} hint="DeepEyes: 1.2 (only with a correct answer)" />
          <Num k="klCoef" label="KL coefficient" step={0.01} hint="DeepEyes: 0" />
          <Num k="clipEps" label="Clip ε" step={0.05} />
          <Num k="evalN" label="Held-out episodes" step={1} hint="Before/after evaluation; 0 skips it." />
          <Num k="saveEvery" label="Autosave every (steps)" step={1} />
          <Num k="seed" label="Seed" step={1} />
        </div>
      </details>
    </fieldset>
  );
}
