/// <reference lib="webworker" />
/**
 * The training worker: a thin shell that dispatches typed requests to the TrainEngine.
 *
 * Why a second worker rather than the agent worker: a GRPO run is minutes to hours of back-to-back
 * steps; in the agent worker's serial queue it would hold every playground run (and model switch)
 * until a pause. Apart, the playground stays usable while training — trying a saved checkpoint
 * included — and each side keeps its own tfjs backend and memory. The cost is a second WASM
 * instance and a second copy of a ~3 MB model, which is small.
 */
import { TrainEngine } from './train-engine';
import type { TrainEvent, TrainRequest } from './train-protocol';
import { assertNever } from './protocol';

const scope = self as unknown as DedicatedWorkerGlobalScope;

const post = (event: TrainEvent, transfer: Transferable[] = []) => scope.postMessage(event, transfer);
const engine = new TrainEngine(post, new URL(import.meta.env.BASE_URL, scope.location.origin).href);

scope.onmessage = (e: MessageEvent<TrainRequest>) => {
  const req = e.data;
  switch (req.type) {
    case 'init':
      engine.init(req.backend);
      break;
    case 'start':
      void engine.start(req.start, req.settings, req.evalBefore);
      break;
    case 'resume':
      void engine.resume();
      break;
    case 'pause':
      void engine.pause();
      break;
    case 'evaluate':
      void engine.evaluate();
      break;
    case 'discard':
      void engine.discard();
      break;
    case 'save':
      void engine.save(req.requestId, req.name);
      break;
    case 'import':
      void engine.importFiles(req.requestId, req.name, req.files);
      break;
    case 'rollout':
      void engine.rollout(req.requestId, req.key);
      break;
    default:
      try {
        assertNever(req, 'request');
      } catch (err) {
        post({ type: 'error', scope: 'protocol', message: (err as Error).message });
      }
  }
};
