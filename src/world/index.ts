/**
 * Public API of the visual-search world (browser-safe: node-canvas.ts is NOT re-exported;
 * Node code imports it directly from './node-canvas').
 */
export * from './types';
export * from './boxes';
export * from './canvas';
export { createRng, hashSeed, type Rng } from './rng';
export {
  generateSample,
  objectBox,
  GLYPH_SHAPES,
  GLYPH_HEIGHT_FRACTION,
  MAX_ASPECT,
  MAX_DISTRACTOR_FRACTION,
  MAX_OBJECTS,
  MAX_SIDE,
  MIN_GLYPH_OBJECT_PX,
  MIN_GLYPH_DIAMOND_PX,
  canCarryGlyph,
  MIN_OBJECTS,
  MIN_OBJECT_PX,
  MIN_SIDE,
} from './generate';
export {
  MODEL_VIEW_SIZE,
  MIN_GLYPH_TARGET_PX,
  THRESHOLDS,
  allAtLeast,
  isLocatable,
  isResolvable,
  pixelsForView,
  resolveThreshold,
  viewPixels,
} from './resolvability';
export { renderScene, glyphInk } from './render';
