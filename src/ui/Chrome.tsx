import { useEffect, useRef } from 'react';
import { exportTrace, importTrace, reloadModel, useModel } from './actions';
import { pickerOpened, sourceFor } from './train/train-actions';
import { useSquint } from './store';

export type PanelName = 'settings' | 'model' | null;

function BackendBadge({ onClick }: { onClick(): void }) {
  const backend = useSquint((s) => s.backend);
  const status = useSquint((s) => s.modelStatus);
  const label = !backend ? 'Starting…' : backend.name === 'wasm' ? `WASM · ${backend.threads} thread${backend.threads === 1 ? '' : 's'}` : backend.name === 'webgpu' ? 'WebGPU' : 'CPU';
  return (
    <button type="button" className={`badge ${status}`} onClick={onClick} title={backend?.notes.join('\n') || 'Compute backend'} data-testid="backend" data-backend={backend?.name ?? ''}>
      <span className="dot" aria-hidden="true" />{label}
      <span className="visually-hidden">, model {status}</span>
    </button>
  );
}

/** Which tab is shown: the playground or Train mode (a run keeps going in its worker either way). */
function Tabs() {
  const view = useSquint((s) => s.view);
  const setView = useSquint((s) => s.setView);
  const training = useSquint((s) => s.trainState === 'running');
  return (
    <div className="tabs" role="tablist" aria-label="Mode">
      <button type="button" role="tab" aria-selected={view === 'playground'} onClick={() => setView('playground')}>Playground</button>
      <button type="button" role="tab" aria-selected={view === 'train'} onClick={() => setView('train')}>
        Train{training && <span className="dot live" aria-label=" (training)" />}
      </button>
    </div>
  );
}

/** The model the playground runs: the shipped ones, and checkpoints saved by Train mode. */
function ModelPicker() {
  const current = useSquint((s) => s.playgroundModel);
  const bundled = useSquint((s) => s.bundled);
  const saved = useSquint((s) => s.checkpoints);
  const value = current.kind === 'bundled' ? `bundled:${current.name}` : `saved:${current.id}`;
  return (
    <label className="inline model-picker">
      <span className="muted small">Model</span>
      <select value={value} data-testid="model-picker" aria-label="Model the playground runs" onFocus={pickerOpened} onPointerDown={pickerOpened}
        onChange={(e) => { const src = sourceFor(e.target.value); if (src) useModel(src); }}>
        <optgroup label="Shipped">
          {bundled.map((b) => <option key={b} value={`bundled:${b}`}>{b}</option>)}
        </optgroup>
        {saved.length > 0 && (
          <optgroup label="Saved in this browser">
            {saved.map((c) => <option key={c.id} value={`saved:${c.id}`}>{c.name}</option>)}
          </optgroup>
        )}
        {current.kind === 'saved' && !saved.some((c) => c.id === current.id) && <option value={value}>{current.name}</option>}
      </select>
    </label>
  );
}

export function Header({ panel, setPanel }: { panel: PanelName; setPanel(p: PanelName): void }) {
  const importRef = useRef<HTMLInputElement>(null);
  const canExport = useSquint((s) => s.episodes.some((e) => e.status !== 'queued' && e.status !== 'running'));
  const largeText = useSquint((s) => s.settings.largeText);
  const update = useSquint((s) => s.updateSettings);
  const toggle = (p: Exclude<PanelName, null>) => setPanel(panel === p ? null : p);
  return (
    <header className="top">
      <div className="brand">
        <svg viewBox="0 0 32 32" width="30" height="30" aria-hidden="true">
          <rect width="32" height="32" rx="7" fill="var(--ink)" />
          <path d="M5 16c3-6 7-8 11-8s8 2 11 8c-3 6-7 8-11 8s-8-2-11-8z" fill="none" stroke="var(--accent)" strokeWidth="2.5" />
          <circle cx="16" cy="16" r="3.5" fill="var(--accent)" />
        </svg>
        <div>
          <h1>Squint</h1>
          <p className="tagline">a small model that thinks with images</p>
        </div>
      </div>
      <Tabs />
      <nav className="toolbar" aria-label="Tools">
        <ModelPicker />
        <BackendBadge onClick={() => toggle('model')} />
        <button type="button" className="quiet" onClick={() => importRef.current?.click()}>Import trace…</button>
        <input ref={importRef} type="file" accept=".json,application/json" hidden data-testid="import-input"
          onChange={(e) => { const f = e.target.files?.[0]; if (f) void importTrace(f); e.target.value = ''; }} />
        <button type="button" className="quiet" disabled={!canExport} onClick={() => void exportTrace('json')}>Export JSON</button>
        <button type="button" className="quiet" disabled={!canExport} onClick={() => void exportTrace('html')}>Export HTML</button>
        <button type="button" className="quiet" aria-pressed={largeText} onClick={() => update({ largeText: !largeText })}>Large text</button>
        <button type="button" className="quiet" aria-expanded={panel === 'model'} aria-controls="model-panel" onClick={() => toggle('model')}>Model</button>
        <button type="button" aria-expanded={panel === 'settings'} aria-controls="settings-panel" onClick={() => toggle('settings')}>Settings</button>
      </nav>
    </header>
  );
}

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

/** Model download progress (per file) and load errors with a retry. */
export function LoadBanner() {
  const status = useSquint((s) => s.modelStatus);
  const progress = useSquint((s) => s.loadProgress);
  const error = useSquint((s) => s.loadError);
  if (status === 'error' && error) {
    return (
      <div className="banner error" role="alert" data-testid="load-error">
        <div>
          <strong>The model could not be loaded.</strong>{' '}
          {error.file && <>File <code>{error.file}</code>{error.fault && <> — {error.fault}</>}. </>}
          <span className="detail">{error.message}</span>
        </div>
        <button type="button" onClick={reloadModel}>Retry</button>
      </div>
    );
  }
  if (status !== 'loading') return null;
  const files = Object.entries(progress.files).filter(([f]) => f.endsWith('.bin'));
  const pct = progress.total ? Math.round((100 * progress.loaded) / progress.total) : 0;
  return (
    <div className="banner loading" role="status" data-testid="load-progress">
      <div className="banner-line">
        <span>Loading the model… {progress.total ? `${mb(progress.loaded)} of ${mb(progress.total)}` : ''}</span>
        <progress max={100} value={pct} aria-label="Model download" />
      </div>
      {files.length > 0 && (
        <ul className="shards">
          {files.map(([name, p]) => (
            <li key={name}>
              <code>{name}</code> <progress max={p.total || 1} value={p.loaded} aria-label={name} /> <span className="muted small">{p.source === 'cache' ? 'cache' : mb(p.loaded)}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Messages() {
  const messages = useSquint((s) => s.messages);
  const dismiss = useSquint((s) => s.dismiss);
  useEffect(() => {
    const infos = messages.filter((m) => m.level === 'info');
    if (!infos.length) return;
    const t = setTimeout(() => infos.forEach((m) => dismiss(m.id)), 9000);
    return () => clearTimeout(t);
  }, [messages, dismiss]);
  return (
    <div className="messages" aria-live="polite">
      {messages.map((m) => (
        <div key={m.id} className={`message ${m.level}`} role={m.level === 'error' ? 'alert' : 'status'} data-testid="message" data-level={m.level}>
          <p>{m.text}</p>
          <button type="button" className="quiet" onClick={() => dismiss(m.id)} aria-label="Dismiss message">✕</button>
        </div>
      ))}
    </div>
  );
}
