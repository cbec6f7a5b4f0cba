/**
 * Squint's model directory format (browser-safe). Node's file helpers live in ./node-files (writeModelDir,
 * nodeFileReader), imported directly so that bundles for the browser never pull in node:fs.
 */
export { encodeModelFiles, type EncodeModelOptions } from './encode';
export { decodeModelFiles, type DecodedModel } from './decode';
export { ModelFileError, type ModelFileFault } from './errors';
export { fetchFileReader, type FetchReaderOptions } from './fetch-reader';
export {
  CONFIG_JSON, DEFAULT_SHARD_BYTES, FORMAT, FORMAT_VERSION, MODEL_JSON, QUANTIZATIONS, README_MD, TOKENIZER_JSON,
  parseManifest,
  type LoadProgress, type ModelManifest, type Quantization, type ReadFile, type ReadHint, type ShardInfo, type WeightEntry,
  type WeightGroup, type WeightQuantization,
} from './format';
export { tokenizerVocabSize } from './tokenizer-vocab';
export { sha256Hex } from './sha256';
