import { useEffect, useId, useRef, useState } from 'react';
import { BACKEND_PREFERENCES, SETTING_BOUNDS } from '../worker/protocol';
import { MAX_FRAMINGS } from '../agent/framings';
import { reloadModel, selfTest, setBackendPreference, urlBackend } from './actions';
import { useSquint } from './store';

/** A drawer: focus moves into it on open and back to its toggle on close; Esc closes it. */
function Drawer({ id, label, onClose, children }: { id: string; label: string; onClose(): void; children: React.ReactNode }) {
  const closeRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    closeRef.current?.focus();
    return () => document.querySelector<HTMLElement>(`[aria-controls="${id}"]`)?.focus();
  }, [id]);
  return (
    <aside className="panel" aria-label={label} id={id} onKeyDown={(e) => { if (e.key === 'Escape') { e.preventDefault(); onClose(); } }}>
      <div className="panel-head">
        <h2>{label}</h2>
        <button ref={closeRef} type="button" className="quiet" onClick={onClose} aria-label={`Close ${label.toLowerCase()}`}>✕</button>
      </div>
      {children}
    </aside>
  );
}

const BACKEND_LABEL = { auto: 'Automatic (fastest available)', webgpu: 'WebGPU', wasm: 'WebAssembly (WASM)', cpu: 'Plain JavaScript (CPU)' } as const;

function NumberSetting({ label, value, min, max, step, onChange, hint }: {
  label: string; value: number; min: number; max: number; step: number; onChange(v: number): void; hint?: string;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <div className="field-row">
        <input type="range" min={min} max={max} step={step} value={value} onChange={(e) => onChange(Number(e.target.value))} aria-hidden="true" tabIndex={-1} />
        <input id={id} type="number" min={min} max={max} step={step} value={value}
          onChange={(e) => { const v = Number(e.target.value); if (e.target.value !== '' && Number.isFinite(v)) onChange(Math.min(max, Math.max(min, v))); }} />
      </div>
      {hint && <p className="hint">{hint}</p>}
    </div>
  );
}

function Diagnostics() {
  const [result, setResult] = useState('');
  const [busy, setBusy] = useState(false);
  return (
    <div className="field">
      <button type="button" disabled={busy} onClick={() => {
        setBusy(true);
        setResult('');
        selfTest().then(setResult, (e: Error) => setResult(e.message)).finally(() => setBusy(false));
      }}>{busy ? 'Testing…' : 'Run backend self-test'}</button>
      <output data-testid="self-test" className="small">{result}</output>
    </div>
  );
}

/** The Readings setting's choices: at most this many framings (src/agent/framings.ts). */
const READING_CHOICES: readonly [number, string][] = [
  [1, 'Once'],
  [3, 'Up to 3, until two agree'],
  [MAX_FRAMINGS, `Up to ${MAX_FRAMINGS}, until one answer leads by two`],
];

export function SettingsPanel({ onClose }: { onClose(): void }) {
  const s = useSquint((st) => st.settings);
  const update = useSquint((st) => st.updateSettings);
  const reset = useSquint((st) => st.resetSettings);
  const forced = urlBackend();
  return (
    <Drawer id="settings-panel" label="Settings" onClose={onClose}>
      <fieldset>
        <legend>The run</legend>
        <label className="check"><input type="checkbox" checked={s.toolEnabled} onChange={(e) => update({ toolEnabled: e.target.checked })} /> Zoom tool available</label>
        <label className="check"><input type="checkbox" checked={s.compare} onChange={(e) => update({ compare: e.target.checked })} /> Compare: run with and without the tool, side by side</label>
        <div className="field">
          <label htmlFor="framings-setting">Readings</label>
          <select id="framings-setting" data-testid="framings-setting" value={s.framings} onChange={(e) => update({ framings: Number(e.target.value) })}>
            {READING_CHOICES.map(([count, label]) => <option key={count} value={count}>{label}</option>)}
          </select>
          <p className="hint">Re-reading shows the model the image again shifted on a thin black margin; objects on the edge of its scan areas land clearly inside one there. Readings go on until one answer is two votes ahead, and the answer is the majority's. On the test set, one reading is right 90.4% of the time, up to three 93.1%, up to five 93.7% at 2.3 readings a question (README, Measured). Stopping while it re-reads keeps the answer of the readings done.</p>
        </div>
        <NumberSetting label="Temperature" value={s.temperature} {...rangeOf('temperature')} step={0.05} onChange={(temperature) => update({ temperature })} hint="0 = always the most likely token (repeatable)." />
        <NumberSetting label="Top-p" value={s.topP} {...rangeOf('topP')} step={0.05} onChange={(topP) => update({ topP })} />
        <NumberSetting label="Max turns" value={s.maxTurns} {...rangeOf('maxTurns')} step={1} onChange={(maxTurns) => update({ maxTurns })} hint="DeepEyes: 5 in training, up to 10 at evaluation." />
        <NumberSetting label="Max tokens per turn" value={s.maxTokensPerTurn} {...rangeOf('maxTokensPerTurn')} step={1} onChange={(maxTokensPerTurn) => update({ maxTokensPerTurn })} />
        <NumberSetting label="Seed" value={s.seed} min={0} max={1_000_000} step={1} onChange={(seed) => update({ seed: Math.round(seed) })} />
      </fieldset>
      <fieldset>
        <legend>Compute</legend>
        <div className="field">
          <label htmlFor="backend-pref">Backend</label>
          <select id="backend-pref" value={forced ?? s.backend} disabled={forced !== null} onChange={(e) => setBackendPreference(e.target.value as typeof s.backend)}>
            {BACKEND_PREFERENCES.map((b) => <option key={b} value={b}>{BACKEND_LABEL[b]}</option>)}
          </select>
          {forced && <p className="hint">Set by the page address (?backend={forced}).</p>}
          <p className="hint">Changing it reloads the model (from the browser's cache).</p>
        </div>
        <Diagnostics />
      </fieldset>
      <fieldset>
        <legend>Display</legend>
        <label className="check"><input type="checkbox" checked={s.largeText} onChange={(e) => update({ largeText: e.target.checked })} /> Large text (for projectors)</label>
      </fieldset>
      <button type="button" className="quiet" onClick={reset}>Reset to defaults</button>
    </Drawer>
  );
}

const rangeOf = (k: keyof typeof SETTING_BOUNDS) => ({ min: SETTING_BOUNDS[k][0], max: SETTING_BOUNDS[k][1] });

const mb = (n: number) => `${(n / 1e6).toFixed(2)} MB`;

/** Renders a markdown model card as plain text blocks (headings bold); never as HTML. */
function CardText({ text }: { text: string }) {
  const blocks = text.split(/\n{2,}/).map((b) => b.trim()).filter(Boolean);
  return (
    <div className="card-text">
      {blocks.map((b, i) => (/^#{1,6}\s/.test(b) ? <h3 key={i}>{b.replace(/^#{1,6}\s+/, '')}</h3> : <p key={i}>{b}</p>))}
    </div>
  );
}

export function ModelPanel({ onClose }: { onClose(): void }) {
  const model = useSquint((s) => s.model);
  const backend = useSquint((s) => s.backend);
  const fromCache = useSquint((s) => s.modelFromCache);
  const loadMs = useSquint((s) => s.loadMs);
  return (
    <Drawer id="model-panel" label="About the model" onClose={onClose}>
      <p className="warning-box">
        Squint's model is tiny and was trained only on a procedural world of coloured shapes, glyphs and clutter.
        It has never seen a photograph: on real photos it will be wrong. It is here to show <em>how</em> a model can think with images — look, zoom, look again, answer — not to be right about your pictures.
      </p>
      {model ? (
        <dl className="facts">
          <dt>Model</dt><dd>{model.preset} · {(model.parameters / 1e6).toFixed(2)}M parameters · {model.quantization}</dd>
          <dt>Input</dt><dd>{model.imageSize}×{model.imageSize} letterboxed view; crops are cut from the full-resolution original</dd>
          <dt>Context</dt><dd>{model.maxSeq} tokens (text and image tokens)</dd>
          <dt>Download</dt><dd>{mb(model.bytes)} · {fromCache ? 'from the browser cache' : 'from the server'} in {(loadMs / 1000).toFixed(1)} s · checksums verified</dd>
          <dt>Served from</dt><dd><code>{model.url}</code></dd>
        </dl>
      ) : <p className="muted">No model loaded.</p>}
      {backend && (
        <>
          <h3>Backend</h3>
          <p data-testid="backend-detail">{backend.name === 'wasm' ? `WebAssembly, ${backend.threads} thread${backend.threads === 1 ? '' : 's'}` : backend.name === 'webgpu' ? 'WebGPU' : 'Plain JavaScript (CPU)'}</p>
          {backend.notes.length > 0 && <ul className="notes">{backend.notes.map((n) => <li key={n}>{n}</li>)}</ul>}
        </>
      )}
      {model?.card && (
        <>
          <h3>Model card</h3>
          <CardText text={model.card} />
        </>
      )}
      <button type="button" onClick={reloadModel}>Reload the model</button>
    </Drawer>
  );
}
