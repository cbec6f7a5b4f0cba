import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SPECIAL_TOKENS, SquintTokenizer, buildTokenizerJson, tokenizerVocabSize } from './tokenizer';

const tok = new SquintTokenizer(buildTokenizerJson(['What is written on the red object?', 'I will zoom in.', '0,1,2,42,100']));

describe('SquintTokenizer', () => {
  it('round-trips model output exactly, with corpus words as single tokens', () => {
    const text = '<think>I will zoom in.</think><tool_call>{"name":"image_zoom_in_tool","arguments":{"bbox_view":[0,42,2,100]}}</tool_call>';
    const ids = tok.encode(text);
    expect(tok.decode(ids)).toBe(text);
    // the tool-call boilerplate is one token, so a call costs ~11 tokens
    expect(ids.length).toBeLessThan(24);
  });

  it('round-trips any printable ASCII text through the character fallback', () => {
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom(...' abcXYZ019.,:;!?"{}[]<>/-_'.split('')) }), (s) => {
      expect(tok.decode(tok.encode(s))).toBe(s);
    }), { numRuns: 200 });
  });

  it('gives special tokens fixed ids in declared order after <unk>', () => {
    SPECIAL_TOKENS.forEach((s, i) => expect(tok.special(s)).toBe(i + 1));
    expect(tok.encode('<image>')).toEqual([tok.special('<image>')]);
  });

  it('counts its vocabulary like the weights loader does', () => {
    expect(tok.vocabSize).toBe(tokenizerVocabSize(tok.json));
  });

  it('refuses a tokenizer.json without the special tokens', () => {
    const json = buildTokenizerJson(['hello']) as { model: { vocab: [string, number][] } };
    json.model.vocab = json.model.vocab.filter(([p]) => p !== '<answer>');
    expect(() => new SquintTokenizer(json)).toThrow(/lacks the special token <answer>/);
  });
});
