/** Worker events → store updates (from outside React) and token streams. */
import { type WorkerEvent, assertNever } from '../worker/protocol';
import { type EpisodeStatus, type SquintStore, stepView } from './store';
import type { TokenStreams } from './tokens';

export function statusFor(endReason: string): EpisodeStatus {
  return endReason === 'stopped' ? 'stopped' : endReason === 'error' ? 'error' : 'done';
}

/** Applies one worker event to the store. Exhaustive: a new event type is a compile error here. */
export function applyEvent(store: SquintStore, tokens: TokenStreams, event: WorkerEvent): void {
  const s = store.getState();
  switch (event.type) {
    case 'backend':
      s.setBackend({ name: event.backend, preference: event.preference, threads: event.threads, notes: event.notes });
      break;
    case 'progress':
      s.setProgress(event.file, { loaded: event.fileLoadedBytes, total: event.fileTotalBytes, source: event.source }, event.loadedBytes, event.totalBytes);
      break;
    case 'loaded':
      s.setLoaded(event.model, event.fromCache, event.ms);
      break;
    case 'notice':
      s.notify(event.level, event.message);
      break;
    case 'started':
      s.updateEpisode((e) => e.runId === event.runId, () => ({ status: 'running' }));
      break;
    case 'token':
      tokens.push(event.runId, event.turn, event.piece);
      break;
    case 'step':
      s.addStep(event.runId, stepView(event.step));
      break;
    case 'reading':
      s.updateEpisode((e) => e.runId === event.runId, (e) => ({
        readings: [...e.readings.slice(0, event.index), event.answer],
        readingSteps: [...e.readingSteps.slice(0, event.index), event.index === 0 ? e.steps : (event.steps ?? []).map(stepView)],
      }));
      break;
    case 'answer':
      // the steps shown become those of the first reading that gave the answer, so that they end in it
      s.updateEpisode((e) => e.runId === event.runId, (e) => ({ answer: event.answer, shownReading: event.reading < e.readingSteps.length ? event.reading : 0 }));
      break;
    case 'done':
      s.updateEpisode((e) => e.runId === event.runId, () => ({
        status: statusFor(event.endReason), endReason: event.endReason, totalMs: event.totalMs, tokens: event.tokens,
      }));
      break;
    case 'puzzle':
    case 'selfTest':
      // answered through the client's promises
      break;
    case 'error':
      switch (event.scope) {
        case 'load':
          s.setLoadError(event.message, event.file, event.fault);
          break;
        case 'run':
          if (event.runId !== undefined) s.updateEpisode((e) => e.runId === event.runId, () => ({ error: event.message }));
          s.notify('error', event.message);
          break;
        case 'backend':
        case 'protocol':
          s.notify('error', event.message);
          if (s.modelStatus === 'loading') s.setLoadError(event.message);
          // A worker that failed cannot finish what it was doing.
          if (event.scope === 'protocol') {
            s.updateEpisode((e) => e.status === 'running' || e.status === 'queued', () => ({ status: 'error', endReason: 'error', error: event.message }));
          }
          break;
        case 'puzzle':
        case 'selfTest':
          // rejected through the client's promises
          break;
        default:
          assertNever(event.scope, 'error scope');
      }
      break;
    default:
      assertNever(event, 'event');
  }
}
