/**
 * Property tests: whatever a model writes, the parser answers with one of its four results and
 * never throws (arbitrary strings, and model-like text from arbitraries.test-helper.ts).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseTurn, tagsBalanced } from './parser';
import { checkBox } from './crop';
import { TOOL_NAME } from './format';
import { modelText } from './arbitraries.test-helper';

const KINDS = ['answer', 'tool', 'invalid', 'none'];

const size = fc.record({ width: fc.integer({ min: 1, max: 40_000 }), height: fc.integer({ min: 1, max: 40_000 }) });

describe('parseTurn on arbitrary text', () => {
  it('never throws and always returns one of its four results', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary', maxLength: 400 }), modelText), size, (text, s) => {
        const t = parseTurn(text, s);
        expect(KINDS).toContain(t.kind);
        expect(typeof t.thought).toBe('string');
        if (t.kind === 'answer') expect(typeof t.answer).toBe('string');
        if (t.kind === 'invalid') expect(t.error).toMatch(/^Error: /);
        if (t.kind === 'tool') {
          expect(t.box).toHaveLength(4);
          // whatever box came out, the crop tool's check decides without throwing
          const check = checkBox(t.box, s);
          if (check.ok) for (const v of check.box) expect(Number.isInteger(v)).toBe(true);
          else expect(check.error).toMatch(/^Error: /);
        }
        expect(typeof tagsBalanced(text)).toBe('boolean');
      }),
      { numRuns: 2000 },
    );
  });

  it('the generator reaches every kind of result (so the property above exercises each path)', () => {
    const seen = new Set(fc.sample(modelText, { numRuns: 3000, seed: 7 }).map((t) => parseTurn(t, { width: 800, height: 600 }).kind));
    expect([...seen].sort()).toEqual([...KINDS].sort());
  });

  it('finds a well-formed call wherever it sits among arbitrary text without tags', () => {
    const noTags = fc.string({ maxLength: 40 }).filter((s) => !/<\/?(think|answer|tool_call)>/.test(s));
    const grid = fc.integer({ min: 0, max: 100 });
    fc.assert(
      fc.property(noTags, noTags, grid, grid, grid, grid, size, (before, after, a, b, c, d, s) => {
        const call = `<tool_call>{"name":"${TOOL_NAME}","arguments":{"bbox_view":[${a},${b},${c},${d}]}}</tool_call>`;
        const t = parseTurn(`<think>${before}</think>${call}${after}`, s);
        expect(t.kind).toBe('tool');
      }),
      { numRuns: 300 },
    );
  });
});
