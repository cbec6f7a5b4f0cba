/** Picks the tfjs backend for Node CLIs: WASM (SIMD, ≈15× the pure-JS CPU backend here) or CPU. */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '../../src/model/tf';

export type NodeBackend = 'wasm' | 'cpu';

/** @throws when the backend cannot initialise. */
export async function useNodeBackend(name: NodeBackend = 'wasm'): Promise<string> {
  if (!(await tf.setBackend(name))) throw new Error(`tfjs backend "${name}" failed to initialise`);
  await tf.ready();
  return tf.getBackend();
}
