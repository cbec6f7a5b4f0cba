/**
 * The one place tfjs is imported from. '@tensorflow/tfjs' (rather than tfjs-core alone) because
 * it registers the chained tensor methods and all gradients, in Node (CJS) and in the bundle.
 */
export * from '@tensorflow/tfjs';
