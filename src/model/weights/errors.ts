/** What went wrong with a model directory, as a machine-readable tag on {@link ModelFileError}. */
export type ModelFileFault =
  /** The file could not be read (the reader rejected: absent, HTTP error, I/O error). */
  | 'missing'
  /** Not valid UTF-8 JSON. */
  | 'json'
  /** model.json is structurally wrong: missing or unknown field, wrong format name or version, bad paths, byte totals that disagree. */
  | 'format'
  /** A shard holds fewer bytes than model.json says. */
  | 'truncated'
  /** A shard holds more bytes than model.json says. */
  | 'oversized'
  /** A shard's sha256 differs from model.json's. */
  | 'checksum'
  /** A tensor's shape differs from weightShapes(config). */
  | 'shape'
  /** A tensor weightShapes(config) needs is not in model.json. */
  | 'missing-tensor'
  /** model.json lists a tensor weightShapes(config) does not have (or lists one twice). */
  | 'unexpected-tensor'
  /** Unknown dtype or quantization dtype, or per-tensor quantization that contradicts the manifest's. */
  | 'dtype'
  /** config.json fails validateConfig. */
  | 'config'
  /** tokenizer.json has no readable vocabulary. */
  | 'tokenizer'
  /** The tokenizer's vocabulary size differs from config.json's vocabSize. */
  | 'vocab-mismatch'
  /** A decoded weight would be NaN or ±Infinity. */
  | 'non-finite';

/** A model directory that must not be loaded. `file` is the file at fault (relative to the model directory). */
export class ModelFileError extends Error {
  readonly file: string;
  readonly fault: ModelFileFault;

  /** `detail` is the human part; the message is `${file}: ${detail}`. */
  constructor(file: string, fault: ModelFileFault, detail: string, options?: { cause?: unknown }) {
    super(`${file}: ${detail}`, options);
    this.name = 'ModelFileError';
    this.file = file;
    this.fault = fault;
  }
}
