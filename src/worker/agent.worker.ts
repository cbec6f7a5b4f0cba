/// <reference lib="webworker" />
/**
 * The agent worker: a thin shell that dispatches typed requests to the Engine and posts its
 * events back. All logic lives in engine.ts; the protocol in protocol.ts.
 */
import { Engine } from './engine';
import { type WorkerEvent, type WorkerRequest, assertNever } from './protocol';

const scope = self as unknown as DedicatedWorkerGlobalScope;

const post = (event: WorkerEvent, transfer: Transferable[] = []) => scope.postMessage(event, transfer);
const engine = new Engine(post, new URL(import.meta.env.BASE_URL, scope.location.origin).href);

scope.onmessage = (e: MessageEvent<WorkerRequest>) => {
  const req = e.data;
  switch (req.type) {
    case 'init':
      void engine.init(req.backend);
      break;
    case 'load':
      void engine.load(req.url);
      break;
    case 'loadSaved':
      void engine.loadSaved(req.id);
      break;
    case 'run':
      void engine.run(req.runId, req.image, req.question, req.settings);
      break;
    case 'stop':
      engine.stop(req.runId);
      break;
    case 'newPuzzle':
      void engine.newPuzzle(req.requestId, req.seed, req.difficulty);
      break;
    case 'selfTest':
      void engine.selfTest(req.requestId);
      break;
    default:
      try {
        assertNever(req, 'request');
      } catch (err) {
        post({ type: 'error', scope: 'protocol', message: (err as Error).message });
      }
  }
};
