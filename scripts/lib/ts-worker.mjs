// Bootstraps a TypeScript worker thread under tsx (Node 20 workers ignore --import in execArgv).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
