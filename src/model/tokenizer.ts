/**
 * Squint's tokenizer: a Hugging Face tokenizer.json (Unigram model, Metaspace pre-tokenizer)
 * loaded with @huggingface/tokenizers. The vocabulary is built from the oracle corpus (every
 * word and number the templates can produce) plus single characters as a fallback, so any
 * text round-trips and arbitrary error observations still encode.
 */
import { Tokenizer } from '@huggingface/tokenizers';

/** Special tokens, in id order after `<unk>` (id 0). Their ids are part of the weights contract. */
export const SPECIAL_TOKENS = [
  '<pad>', '<bos>', '<eos>', '<image>', '<user>', '<assistant>',
  '<think>', '</think>', '<tool_call>', '</tool_call>', '<tool_response>', '</tool_response>',
  '<answer>', '</answer>',
] as const;
export type SpecialToken = (typeof SPECIAL_TOKENS)[number];

/** Long literal pieces that get one token each, so a tool call costs ~11 tokens instead of ~40. */
export const LITERAL_PIECES = [
  '{"name":"image_zoom_in_tool","arguments":{"bbox_view":[',
  '{"name":"image_zoom_in_tool","arguments":{"bbox_crop":[',
  '{"name":"image_zoom_in_tool","arguments":{"bbox_2d":[',
  ']}}',
] as const;

const FALLBACK_CHARS =
  ' abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,;:!?\'"()[]{}<>-_+=*/\\|@#$%^&~`×';

const META = '\u2581'; // '▁' stands for a space, as in SentencePiece

/** Splits text into the pieces a Unigram vocab should contain: words with their leading space, numbers, punctuation. */
function corpusPieces(text: string): string[] {
  return text.replace(/ /g, META).match(new RegExp(`${META}?[A-Za-z]+|${META}?\\d+|${META}?[^A-Za-z\\d${META}]|${META}`, 'g')) ?? [];
}

/** Builds tokenizer.json from a corpus of texts the model will read and write. */
export function buildTokenizerJson(corpus: Iterable<string>): object {
  const specialSet = new Set<string>(SPECIAL_TOKENS);
  const pieces = new Set<string>();
  for (const text of corpus) {
    // special tokens are matched before the model runs; strip them from the corpus
    for (const part of text.split(/<\/?[a-z_]+>/)) for (const p of corpusPieces(part)) if (!specialSet.has(p)) pieces.add(p);
  }
  for (const lit of LITERAL_PIECES) pieces.delete(lit);
  const chars = [...FALLBACK_CHARS.replace(/ /g, META)];
  const vocab: [string, number][] = [['<unk>', 0]];
  for (const s of SPECIAL_TOKENS) vocab.push([s, 0]);
  // Scores: long pieces -1, single characters -10: Viterbi then picks the fewest pieces.
  for (const lit of LITERAL_PIECES) vocab.push([lit, -1]);
  for (const p of [...pieces].sort()) if (p.length > 1) vocab.push([p, -1]);
  for (const c of chars) vocab.push([c, -10]);
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((content, i) => ({
      id: i + 1, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
    })),
    normalizer: null,
    pre_tokenizer: { type: 'Metaspace', replacement: META, prepend_scheme: 'never', split: false },
    post_processor: null,
    decoder: { type: 'Metaspace', replacement: META, prepend_scheme: 'never', split: false },
    model: { type: 'Unigram', unk_id: 0, vocab, byte_fallback: false },
  };
}

/** Number of ids a tokenizer.json defines (max id + 1). */
export function tokenizerVocabSize(json: unknown): number {
  const j = json as { model?: { vocab?: unknown }; added_tokens?: { id: number }[] };
  if (!j?.model || !Array.isArray(j.model.vocab)) throw new Error('tokenizer.json has no model.vocab array');
  const maxAdded = Math.max(-1, ...(j.added_tokens ?? []).map((t) => t.id));
  return Math.max(j.model.vocab.length, maxAdded + 1);
}

export class SquintTokenizer {
  private readonly tokenizer: Tokenizer;
  private readonly pieces: string[];
  private readonly specialIds = new Map<string, number>();
  readonly vocabSize: number;

  readonly json: object;

  /** @throws Error when the JSON is not a Squint-compatible tokenizer. */
  constructor(json: object) {
    this.json = json;
    this.vocabSize = tokenizerVocabSize(json);
    this.tokenizer = new Tokenizer(json as never, {});
    const vocab = (json as { model: { vocab: [string, number][] } }).model.vocab;
    this.pieces = vocab.map(([p]) => p);
    for (const s of SPECIAL_TOKENS) {
      const id = this.pieces.indexOf(s);
      if (id < 0) throw new Error(`tokenizer.json lacks the special token ${s}`);
      this.specialIds.set(s, id);
    }
  }

  /** Id of a special token (or `<unk>`, id 0). */
  special(token: SpecialToken | '<unk>'): number {
    return token === '<unk>' ? 0 : this.specialIds.get(token)!;
  }

  isSpecial(id: number): boolean {
    return id >= 0 && id <= SPECIAL_TOKENS.length;
  }

  encode(text: string): number[] {
    return this.tokenizer.encode(text, { add_special_tokens: false }).ids;
  }

  /**
   * Concatenates the pieces (▁ → space). Not the library's decode: its Metaspace decoder drops a
   * leading space, so " a" would not round-trip, and it throws on an empty list.
   */
  decode(ids: readonly number[]): string {
    return ids.map((id) => this.pieceText(id)).join('');
  }

  /** The text one token contributes when appended to a stream (special tokens verbatim). */
  pieceText(id: number): string {
    const p = this.pieces[id] ?? '';
    return p.replaceAll(META, ' ');
  }
}
