import { useEffect, useRef, useState } from 'react';
import { type EpisodeView, type StepView, shownSteps, useSquint, visibleSteps } from './store';
import { tokens } from './tokens';
import { boxWasWidened, MIN_CROP_SIDE } from '../agent/crop';
import { boxColour, endReasonText, readingsText } from './trace';
import { zoomHoldsTarget } from './zoom-check';

const ms = (t: number) => (t >= 10_000 ? `${(t / 1000).toFixed(0)} s` : t >= 1000 ? `${(t / 1000).toFixed(1)} s` : `${Math.round(t)} ms`);

/** The current turn's raw text as it streams: written through a ref, one DOM update per token. */
function LiveTurn({ runId, afterTurn }: { runId: number; afterTurn: number }) {
  const textRef = useRef<HTMLSpanElement>(null);
  const boxRef = useRef<HTMLLIElement>(null);
  useEffect(() => {
    const show = (turn: number, text: string) => {
      if (turn <= afterTurn || !textRef.current || !boxRef.current) return;
      textRef.current.textContent = text;
      boxRef.current.hidden = false;
    };
    if (boxRef.current) boxRef.current.hidden = true;
    const last = tokens.lastTurn(runId);
    if (last > afterTurn) show(last, tokens.text(runId, last));
    return tokens.subscribe(runId, show);
  }, [runId, afterTurn]);
  return (
    <li className="step live" ref={boxRef} hidden data-testid="live">
      <div className="step-index">…</div>
      <div className="step-body">
        <p className="raw"><span ref={textRef} /><span className="caret" aria-hidden="true" /></p>
      </div>
    </li>
  );
}

/** `onTarget`: whether the zoom holds the puzzle's target (null when that is not known). */
function StepAction({ step, onTarget }: { step: StepView; onTarget: boolean | null }) {
  switch (step.kind) {
    case 'zoom':
      return (
        <p className="action">
          Zoom into <code>[{step.box!.map(Math.round).join(', ')}]</code>
          {step.requestedBox && boxWasWidened(step.requestedBox, step.box!) && (
            <span className="muted small" data-testid="widened"> (the box written was widened: crops are at least {MIN_CROP_SIDE + 1} px a side)</span>
          )}
          {onTarget !== null && (
            <span className={`chip ${onTarget ? 'done' : 'error'}`} data-testid="zoom-target" data-hit={onTarget}>
              {onTarget ? 'holds the target' : 'target not in this crop'}
            </span>
          )}
        </p>
      );
    case 'answer':
      return <p className="action">Answers <strong>{step.answer}</strong></p>;
    case 'error':
      return <p className="action error-text">{step.error}</p>;
    case 'none':
      return <p className="action muted">No answer and no tool call: the episode ends.</p>;
  }
}

function StepCard({ episodeId, question, step, index, zoom }: { episodeId: string; question: string; step: StepView; index: number; zoom: number }) {
  const puzzle = useSquint((s) => s.puzzle);
  const onTarget = step.kind === 'zoom' ? zoomHoldsTarget(step.box, puzzle, question) : null;
  const highlighted = useSquint((s) => s.highlight?.episodeId === episodeId && s.highlight.step === index);
  const setHighlight = useSquint((s) => s.setHighlight);
  const colour = zoom >= 0 ? boxColour(zoom) : step.kind === 'error' ? '#c92a2a' : step.kind === 'answer' ? '#2b8a3e' : '#868e96';
  const on = () => setHighlight({ episodeId, step: index });
  const off = () => setHighlight(null);
  return (
    <li
      className={`step ${step.kind}${highlighted ? ' highlighted' : ''}`}
      style={{ '--c': colour } as React.CSSProperties}
      tabIndex={0}
      data-testid="step"
      data-kind={step.kind}
      data-box={step.box ? step.box.join(',') : undefined}
      aria-label={`Step ${index + 1}: ${step.kind === 'zoom' ? 'zoom' : step.kind === 'answer' ? 'answer' : step.kind === 'error' ? 'tool error' : 'no action'}`}
      onMouseEnter={on} onMouseLeave={off} onFocus={on} onBlur={off}
    >
      <div className="step-index" aria-hidden="true">{index + 1}</div>
      <div className="step-body">
        <p className="thought">{step.thought || <span className="muted">(no thought)</span>}</p>
        <StepAction step={step} onTarget={onTarget} />
        <details className="raw-output">
          <summary>Raw output{step.tokens ? ` · ${step.tokens} tokens` : ''}{step.timings ? ` · ${ms(step.timings.generateMs + step.timings.cropMs + step.timings.encodeMs)}` : ''}</summary>
          <pre>{step.text}</pre>
        </details>
      </div>
      {step.crop && (
        <img className="crop" src={step.crop.url} width={step.crop.width} height={step.crop.height} data-testid="crop" data-box={step.box?.join(',')}
          alt={`Crop ${zoom + 1}, ${step.crop.width}×${step.crop.height} pixels`} />
      )}
    </li>
  );
}

const STATUS_TEXT = { queued: 'Waiting', running: 'Thinking…', done: 'Done', stopped: 'Stopped', error: 'Failed' } as const;

/** One button per reading of a finished run read on several framings: each shows that reading's steps. */
function ReadingPicker({ episode }: { episode: EpisodeView }) {
  const showReading = useSquint((s) => s.showReading);
  return (
    <div className="reading-picker" role="group" aria-label="Each reading's steps" data-testid="reading-picker">
      {episode.readingSteps.map((_, i) => (
        <button key={i} type="button" aria-pressed={i === episode.shownReading} data-testid="reading-tab" onClick={() => showReading(episode.id, i)}
          title={`Show the steps of reading ${i + 1}${i === 0 ? ' (the image as it is)' : ' (shifted on a black margin)'}`}>
          Reading {i + 1}: {episode.readings[i] ?? 'no answer'}
        </button>
      ))}
    </div>
  );
}

function EpisodeColumn({ episode }: { episode: EpisodeView }) {
  const replayStep = useSquint((s) => s.replayStep);
  const steps = visibleSteps(episode, replayStep);
  const shown = shownSteps(episode);
  const complete = replayStep === null || replayStep >= shown.length;
  let zoom = 0;
  const zooms = shown.map((s) => (s.kind === 'zoom' ? zoom++ : -1));
  const lastTurn = episode.steps.length ? episode.steps[episode.steps.length - 1]!.turn : -1;
  const live = episode.runId !== null && (episode.status === 'running' || episode.status === 'queued') && replayStep === null;
  return (
    <article className={`episode ${episode.status}`} aria-label={episode.label} data-testid="episode" data-status={episode.status}>
      <header className="episode-head">
        <h2>{episode.label}</h2>
        <span className={`chip ${episode.status}`} data-testid="episode-status">{STATUS_TEXT[episode.status]}</span>
        {episode.status !== 'running' && episode.status !== 'queued' && episode.totalMs > 0 && <span className="muted small">{ms(episode.totalMs)}{episode.tokens ? ` · ${episode.tokens} tokens` : ''}</span>}
        {episode.imported && <span className="chip imported">Imported</span>}
      </header>
      {!live && episode.readingSteps.length > 1 && <ReadingPicker episode={episode} />}
      <ol className="steps" data-reading={episode.shownReading}>
        {steps.map((s, i) => <StepCard key={i} episodeId={episode.id} question={episode.question} step={s} index={i} zoom={zooms[i]!} />)}
        {live && episode.readings.length === 0 && <LiveTurn runId={episode.runId!} afterTurn={lastTurn} />}
      </ol>
      {live && episode.readings.length > 0 && (
        <p className="muted small rereading" data-testid="rereading" aria-live="polite">
          The first reading answered {episode.readings[0] ?? 'nothing'}. Reading again on a shifted framing (reading {episode.readings.length + 1}, at most {episode.framings})…
        </p>
      )}
      {complete && episode.status !== 'running' && episode.status !== 'queued' && (
        <div className={`final ${episode.answer !== null ? 'has-answer' : ''}`} data-testid="final" aria-live="polite">
          {episode.answer !== null ? (
            <>Answer: <strong data-testid="answer">{episode.answer}</strong></>
          ) : (
            <span className="muted">No answer — {endReasonText(episode.endReason ?? episode.status)}.</span>
          )}
          {episode.readings.length > 1 && <p className="muted small" data-testid="readings">{readingsText(episode.readings, episode.shownReading)}</p>}
          {episode.error && <p className="error-text">{episode.error}</p>}
        </div>
      )}
    </article>
  );
}

const ICONS = {
  first: 'M5 4h2v16H5zM20 4v16L9 12z',
  prev: 'M17 4v16L6 12z',
  next: 'M7 4v16l11-8z',
  last: 'M17 4h2v16h-2zM4 4v16l11-8z',
} as const;

function Icon({ name }: { name: keyof typeof ICONS }) {
  return <svg viewBox="0 0 24 24" width="14" height="14" aria-hidden="true" fill="currentColor"><path d={ICONS[name]} /></svg>;
}

/** Step-through replay of finished episodes. */
function ReplayControls() {
  const episodes = useSquint((s) => s.episodes);
  const replayStep = useSquint((s) => s.replayStep);
  const setReplayStep = useSquint((s) => s.setReplayStep);
  const [playing, setPlaying] = useState(false);
  const finished = episodes.length > 0 && episodes.every((e) => e.status !== 'running' && e.status !== 'queued');
  const total = Math.max(0, ...episodes.map((e) => shownSteps(e).length));
  const at = replayStep ?? total;

  useEffect(() => {
    if (!playing) return;
    if (at >= total) { setPlaying(false); return; }
    const t = setTimeout(() => setReplayStep(at + 1 >= total ? null : at + 1), 1200);
    return () => clearTimeout(t);
  }, [playing, at, total, setReplayStep]);

  if (!finished || total === 0) return null;
  const go = (n: number) => setReplayStep(n >= total ? null : Math.max(0, n));
  const onKey = (e: React.KeyboardEvent) => {
    if (e.key === 'ArrowLeft') { e.preventDefault(); go(at - 1); }
    if (e.key === 'ArrowRight') { e.preventDefault(); go(at + 1); }
    if (e.key === 'Home') { e.preventDefault(); go(0); }
    if (e.key === 'End') { e.preventDefault(); go(total); }
  };
  return (
    <div className="replay" role="group" aria-label="Replay" onKeyDown={onKey}>
      <button type="button" onClick={() => { setPlaying(false); go(0); }} aria-label="First step" title="First step (Home)"><Icon name="first" /></button>
      <button type="button" onClick={() => { setPlaying(false); go(at - 1); }} aria-label="Previous step" title="Previous step (←)" disabled={at <= 0}><Icon name="prev" /></button>
      <button type="button" className="play" onClick={() => { if (!playing && at >= total) go(0); setPlaying(!playing); }} aria-label={playing ? 'Pause replay' : 'Play replay'}>{playing ? 'Pause' : 'Replay'}</button>
      <button type="button" onClick={() => { setPlaying(false); go(at + 1); }} aria-label="Next step" title="Next step (→)" disabled={at >= total}><Icon name="next" /></button>
      <button type="button" onClick={() => { setPlaying(false); go(total); }} aria-label="Last step" title="Last step (End)"><Icon name="last" /></button>
      <span className="replay-pos" data-testid="replay-position" aria-live="polite">{at >= total ? (total === 1 ? 'The whole run (1 step)' : `The whole run (${total} steps)`) : `Step ${at} of ${total}`}</span>
    </div>
  );
}

export function Trajectory() {
  const episodes = useSquint((s) => s.episodes);
  if (episodes.length === 0) {
    return (
      <div className="trajectory empty-trajectory">
        <p className="muted">The model's steps appear here: what it thinks, where it zooms (the crop it gets back), and its answer.</p>
        <p className="muted small">Keyboard: Ctrl+Enter runs, Esc stops, ← → step through a finished run.</p>
      </div>
    );
  }
  return (
    <div className="trajectory">
      <ReplayControls />
      <div className={`episodes n${episodes.length}`}>
        {episodes.map((e) => <EpisodeColumn key={e.id} episode={e} />)}
      </div>
    </div>
  );
}
