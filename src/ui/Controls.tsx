import { useRef } from 'react';
import { newPuzzle, openImage, run, saveImage, stop } from './actions';
import { useSquint } from './store';

const DIFFICULTIES = [
  { label: 'Easy', value: 0.15 },
  { label: 'Medium', value: 0.45 },
  { label: 'Hard', value: 0.8 },
] as const;

function nearestDifficulty(d: number): number {
  return DIFFICULTIES.reduce((best, x) => (Math.abs(x.value - d) < Math.abs(best.value - d) ? x : best)).value;
}

/** Where the image comes from: a file, a puzzle; and saving the current one. */
export function ImageBar() {
  const busy = useSquint((s) => s.puzzleBusy);
  const difficulty = useSquint((s) => s.settings.difficulty);
  const update = useSquint((s) => s.updateSettings);
  const image = useSquint((s) => s.image);
  const inputRef = useRef<HTMLInputElement>(null);
  return (
    <div className="image-bar">
      <button type="button" onClick={() => inputRef.current?.click()}>Open image…</button>
      <input ref={inputRef} type="file" accept="image/*" hidden data-testid="file-input"
        onChange={(e) => { const f = e.target.files?.[0]; if (f) void openImage(f, 'file'); e.target.value = ''; }} />
      <span className="divider" aria-hidden="true" />
      <button type="button" onClick={() => void newPuzzle()} disabled={busy}>{busy ? 'Generating…' : 'New puzzle'}</button>
      <label className="inline">
        <span className="visually-hidden">Puzzle difficulty</span>
        <select value={nearestDifficulty(difficulty)} onChange={(e) => update({ difficulty: Number(e.target.value) })} aria-label="Puzzle difficulty">
          {DIFFICULTIES.map((d) => <option key={d.label} value={d.value}>{d.label}</option>)}
        </select>
      </label>
      {image && (
        <>
          <span className="spacer" />
          <span className="muted small image-meta" title={image.name}>{image.width}×{image.height}{image.downscaled ? ' (downscaled)' : ''}</span>
          <button type="button" className="quiet" onClick={saveImage}>Save image</button>
        </>
      )}
    </div>
  );
}

function PuzzleAnswer() {
  const puzzle = useSquint((s) => s.puzzle);
  if (!puzzle) return null;
  return (
    <details className="puzzle-answer">
      <summary>Expected answer</summary>
      <span data-testid="expected-answer">{puzzle.answer}</span>
      <span className="muted small"> · {puzzle.family} question{puzzle.resolvable ? ', readable without zooming' : ', needs a zoom'} · seed {puzzle.seed}</span>
    </details>
  );
}

export function QuestionBar() {
  const question = useSquint((s) => s.question);
  const setQuestion = useSquint((s) => s.setQuestion);
  const running = useSquint((s) => s.episodes.some((e) => e.status === 'running' || e.status === 'queued'));
  const ready = useSquint((s) => s.modelStatus === 'ready');
  const hasImage = useSquint((s) => s.image !== null);
  const compare = useSquint((s) => s.settings.compare);
  const canRun = ready && hasImage && question.trim().length > 0;
  return (
    <form className="question-bar" onSubmit={(e) => { e.preventDefault(); void run(); }}>
      <label htmlFor="question" className="question-label">Question</label>
      <textarea
        id="question" rows={2} value={question} maxLength={500} placeholder="e.g. What is written on the red hexagon?"
        onChange={(e) => setQuestion(e.target.value)}
        onKeyDown={(e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); void run(); } }}
      />
      <div className="run-buttons">
        <button type="submit" className="primary" disabled={!canRun || running} title={ready ? 'Run (Ctrl+Enter)' : 'The model is loading'}>
          {compare ? 'Run both' : 'Run'}
        </button>
        <button type="button" onClick={stop} disabled={!running} title="Stop (Esc)">Stop</button>
      </div>
      <PuzzleAnswer />
    </form>
  );
}
