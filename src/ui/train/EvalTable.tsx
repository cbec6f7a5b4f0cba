/** Before/after accuracy on the held-out set, overall and per family. */
import type { EvalSummary } from '../../storage/runs';
import { useSquint } from '../store';

const pct = (x: number | undefined) => (x === undefined ? '–' : `${(100 * x).toFixed(0)}%`);

export function EvalTable() {
  const before = useSquint((s) => s.evalBefore);
  const after = useSquint((s) => s.evalAfter);
  const progress = useSquint((s) => s.evalProgress);
  if (!before && !after && !progress) return null;
  const families = [...new Set([...Object.keys(before?.byFamily ?? {}), ...Object.keys(after?.byFamily ?? {})])].sort();
  const head = (label: string, e: EvalSummary | null) => <th scope="col">{label}{e ? <span className="muted small"> · step {e.step}, n {e.n}</span> : null}</th>;
  return (
    <section className="card eval" aria-label="Held-out evaluation" data-testid="train-eval">
      <h3>Held-out evaluation <span className="muted small">(greedy, seeds from 10⁹, never trained on)</span></h3>
      {progress && <p className="muted small" role="status">Evaluating ({progress.which}): {progress.done} of {progress.n} episodes…</p>}
      <table>
        <thead><tr><th scope="col" />{head('Before', before)}{head('After', after)}</tr></thead>
        <tbody>
          <tr><th scope="row">Accuracy</th><td data-testid="eval-before-acc">{pct(before?.accuracy)}</td><td data-testid="eval-after-acc">{pct(after?.accuracy)}</td></tr>
          <tr><th scope="row">Tool-call rate</th><td>{pct(before?.toolRate)}</td><td>{pct(after?.toolRate)}</td></tr>
          <tr><th scope="row">Format valid</th><td>{pct(before?.formatValidity)}</td><td>{pct(after?.formatValidity)}</td></tr>
          {families.map((f) => (
            <tr key={f}><th scope="row" className="sub">{f}</th><td>{pct(before?.byFamily[f]?.accuracy)}</td><td>{pct(after?.byFamily[f]?.accuracy)}</td></tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
