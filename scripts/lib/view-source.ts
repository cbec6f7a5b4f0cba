/**
 * The main-thread side of vision-worker.ts: starts the worker, asks it for the views of some
 * scenes, and stacks what comes back into the encoder's input and label tensors. Shared by
 * pretrain:vision and train:sft's reader views.
 */
import { Worker } from 'node:worker_threads';
import * as tf from '../../src/model/tf';
import { AUX_CHANNELS } from '../../src/train/vision-labels';
import { SHAPES } from '../../src/world/types';
import type { VisionWorkerSetup } from './vision-worker';

export interface Views {
  readonly patches: Float32Array[];
  readonly labels: Float32Array[];
  /** Global-scale views only: the shape index of the object each view is centred on. */
  readonly centreShapes?: Int32Array;
}

export class ViewSource {
  private readonly worker: Worker;

  /** `what` names the views in the error printed if the worker fails (which ends the process). */
  constructor(setup: VisionWorkerSetup, what: string) {
    this.worker = new Worker(new URL('./ts-worker.mjs', import.meta.url), { workerData: { entry: new URL('./vision-worker.ts', import.meta.url).href } });
    this.worker.on('error', (e) => {
      console.error(`${what} worker failed:`, e);
      process.exit(1);
    });
    this.worker.postMessage({ setup });
  }

  /** The views of the scenes of `seeds` (one request at a time: answers come in order). */
  request(seeds: number[]): Promise<Views> {
    return new Promise((resolve) => {
      this.worker.once('message', resolve);
      this.worker.postMessage({ seeds });
    });
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

/**
 * The first `n` views (all by default) as tensors: patches [n, ...patchShape], labels
 * [n, patches, AUX_CHANNELS], and the centred objects' shapes one-hot [n, shapes] when the views have them.
 */
export function stackViews(views: Views, patchShape: readonly [number, number], n = views.patches.length): { patches: tf.Tensor3D; labels: tf.Tensor3D; centreShapes?: tf.Tensor2D } {
  const stack = (arrays: Float32Array[], inner: readonly [number, number]) => {
    const flat = new Float32Array(n * arrays[0].length);
    for (let i = 0; i < n; i++) flat.set(arrays[i], i * arrays[i].length);
    return tf.tensor3d(flat, [n, inner[0], inner[1]]);
  };
  const centreShapes = views.centreShapes ? tf.tidy(() => tf.oneHot(tf.tensor1d(views.centreShapes!.subarray(0, n), 'int32'), SHAPES.length).toFloat() as tf.Tensor2D) : undefined;
  return { patches: stack(views.patches, patchShape), labels: stack(views.labels, [views.labels[0].length / AUX_CHANNELS, AUX_CHANNELS]), centreShapes };
}
