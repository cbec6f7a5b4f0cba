/** Model directory ⇄ SquintModel (browser and Node: the caller supplies the file reader). */
import type { Quantization, ReadFile, LoadProgress } from './weights';
import { ModelFileError, decodeModelFiles, encodeModelFiles } from './weights';
import { SquintModel } from './squint-model';
import { SquintTokenizer } from './tokenizer';
import type { WeightMap } from './vlm';

/**
 * Loads and validates a model directory.
 * @throws ModelFileError naming the file and the fault.
 */
export async function loadSquintModel(read: ReadFile, onProgress?: (p: LoadProgress) => void): Promise<SquintModel> {
  const decoded = await decodeModelFiles(read, onProgress);
  try {
    let tokenizer: SquintTokenizer;
    try {
      tokenizer = new SquintTokenizer(decoded.tokenizerJson as object);
    } catch (e) {
      throw new ModelFileError('tokenizer.json', 'tokenizer', (e as Error).message, { cause: e });
    }
    return new SquintModel(decoded.config, tokenizer, decoded.tensors);
  } catch (e) {
    for (const t of Object.values(decoded.tensors)) t.dispose();
    throw e;
  }
}

/** The files of a model directory for these weights. */
export function modelFiles(model: SquintModel, quantization: Quantization, card: string, weights: WeightMap = model.vlm.weights): Promise<Map<string, Uint8Array>> {
  return encodeModelFiles({ config: model.config, tokenizerJson: model.tokenizer.json, card, tensors: weights, quantization });
}
