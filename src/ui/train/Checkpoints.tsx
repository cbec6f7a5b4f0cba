/** Saving the fine-tuned weights, the checkpoints saved in this browser, export and import. */
import { useId, useRef, useState } from 'react';
import { deleteCheckpoint, exportCheckpoint, importCheckpoint, saveCheckpoint, useInPlayground } from './train-actions';
import { useSquint } from '../store';

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

export function Checkpoints() {
  const checkpoints = useSquint((s) => s.checkpoints);
  const canSave = useSquint((s) => s.trainRun !== null && s.storedRun === null && s.trainState !== 'loading' && s.trainState !== 'idle');
  const step = useSquint((s) => s.trainStep);
  const [name, setName] = useState('');
  const [busy, setBusy] = useState(false);
  const [importError, setImportError] = useState<string | null>(null);
  const importRef = useRef<HTMLInputElement>(null);
  const nameId = useId();
  return (
    <section className="card checkpoints" aria-label="Checkpoints">
      <h3>Checkpoints</h3>
      <form className="save-row" onSubmit={(e) => {
        e.preventDefault();
        setBusy(true);
        void saveCheckpoint(name || `fine-tuned step ${step}`).then((ok) => ok && setName('')).finally(() => setBusy(false));
      }}>
        <label htmlFor={nameId}>Name</label>
        <input id={nameId} value={name} maxLength={80} placeholder={`fine-tuned step ${step}`} onChange={(e) => setName(e.target.value)} disabled={!canSave} />
        <button type="submit" disabled={!canSave || busy}>{busy ? 'Saving…' : 'Save weights'}</button>
      </form>
      {checkpoints.length === 0 ? <p className="muted small">No checkpoints saved in this browser yet.</p> : (
        <ul className="checkpoint-list" data-testid="checkpoint-list">
          {checkpoints.map((c) => (
            <li key={c.id} data-testid="checkpoint" data-name={c.name}>
              <div>
                <strong>{c.name}</strong>
                <span className="muted small"> · from {c.meta.from} · step {c.meta.step} · {mb(c.bytes)} · {new Date(c.createdAt).toLocaleString()}
                  {c.meta.accuracy !== undefined ? ` · held-out accuracy ${(100 * c.meta.accuracy).toFixed(0)}%` : ''}</span>
              </div>
              <div className="row-buttons">
                <button type="button" onClick={() => useInPlayground(c)}>Use in playground</button>
                <button type="button" className="quiet" onClick={() => void exportCheckpoint(c)}>Export files</button>
                <button type="button" className="quiet" onClick={() => { if (confirm(`Delete "${c.name}" from this browser?`)) void deleteCheckpoint(c); }}>Delete</button>
              </div>
            </li>
          ))}
        </ul>
      )}
      <div className="import-row">
        <button type="button" className="quiet" onClick={() => importRef.current?.click()}>Import model files…</button>
        <input ref={importRef} type="file" multiple hidden data-testid="checkpoint-import" accept=".json,.bin,.md"
          onChange={(e) => {
            const files = [...(e.target.files ?? [])];
            e.target.value = '';
            if (!files.length) return;
            setImportError(null);
            const base = `imported ${new Date().toLocaleString()}`;
            void importCheckpoint(files, base).then(setImportError);
          }} />
        <span className="muted small">Choose every file of an exported model at once (model.json, its .bin shards, config.json, tokenizer.json).</span>
      </div>
      {importError && <p className="error-text" role="alert" data-testid="import-error">{importError}</p>}
    </section>
  );
}
