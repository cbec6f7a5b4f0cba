/** Training worker events → store updates (from outside React). */
import { assertNever } from '../../worker/protocol';
import type { TrainEvent } from '../../worker/train-protocol';
import type { SquintStore } from '../store';

/** Applies one training event. Exhaustive: a new event type is a compile error here. */
export function applyTrainEvent(store: SquintStore, event: TrainEvent): void {
  const s = store.getState();
  switch (event.type) {
    case 'backend':
      s.setTrainBackend({ name: event.backend, threads: event.threads, notes: event.notes });
      break;
    case 'state':
      s.setTrainState(event.state, event.step, event.detail);
      break;
    case 'run':
      s.setTrainRun({ start: event.start, settings: event.settings }, event.history, event.evalBefore, event.evalAfter);
      break;
    case 'step':
      s.addTrainStep(event.point, event.gallery);
      break;
    case 'evalProgress':
      s.setEvalProgress({ which: event.which, done: event.done, n: event.n });
      break;
    case 'eval':
      s.setEval(event.which, event.summary);
      break;
    case 'autosaved':
      s.setAutosaved(event.step);
      break;
    case 'saved':
    case 'imported':
    case 'rollout':
      // answered through the client's promises
      break;
    case 'notice':
      s.notify(event.level, event.message);
      break;
    case 'error':
      // requests with an id are answered through the client's promises (their caller tells the user)
      if (event.requestId === undefined) s.notify('error', event.message);
      // a worker that failed cannot go on with the run (the last autosave can still be resumed after a reload)
      if (event.scope === 'protocol') s.setTrainState('error', s.trainStep, event.message);
      break;
    default:
      assertNever(event, 'training event');
  }
}
