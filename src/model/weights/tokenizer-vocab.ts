import { ModelFileError } from './errors';
import { TOKENIZER_JSON } from './format';

const isId = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;

/**
 * Vocabulary size of a parsed Hugging Face tokenizer.json: max id + 1 over `model.vocab` (Unigram: an array of
 * [piece, score], ids are indices; BPE/WordPiece/WordLevel: an object piece → id) and `added_tokens[].id`.
 * @throws ModelFileError on tokenizer.json, fault 'tokenizer', when there is no readable vocabulary.
 */
export function tokenizerVocabSize(json: unknown): number {
  const bad = (detail: string): never => {
    throw new ModelFileError(TOKENIZER_JSON, 'tokenizer', detail);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return bad('is not a JSON object');
  const { model, added_tokens: added } = json as Record<string, unknown>;
  if (typeof model !== 'object' || model === null) return bad('has no "model" object');
  const vocab = (model as Record<string, unknown>).vocab;
  let maxId = -1;
  if (Array.isArray(vocab)) {
    vocab.forEach((entry, i) => {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string') bad(`model.vocab[${i}] is not a [piece, score] pair`);
    });
    maxId = vocab.length - 1;
  } else if (typeof vocab === 'object' && vocab !== null) {
    for (const [piece, id] of Object.entries(vocab)) {
      if (!isId(id)) bad(`model.vocab gives piece ${JSON.stringify(piece)} the id ${JSON.stringify(id)}`);
      maxId = Math.max(maxId, id as number);
    }
  } else {
    return bad('has no model.vocab');
  }
  if (added !== undefined) {
    if (!Array.isArray(added)) return bad('added_tokens is not an array');
    added.forEach((t, i) => {
      const id = (t as { id?: unknown } | null)?.id;
      if (!isId(id)) bad(`added_tokens[${i}] has no valid id`);
      maxId = Math.max(maxId, id as number);
    });
  }
  if (maxId < 0) return bad('has an empty vocabulary');
  return maxId + 1;
}
