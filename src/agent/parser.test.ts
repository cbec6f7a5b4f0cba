import { describe, expect, it } from 'vitest';
import { parseTurn, tagsBalanced } from './parser';
import { deepEyesCall, squintCall } from './testing';
import { pixelBox } from '../world/boxes';

const size = { width: 1000, height: 500 };

describe('parseTurn', () => {
  it('reads an answer with its thought', () => {
    expect(parseTurn('<think>It is red.</think><answer> red </answer>', size)).toEqual({ kind: 'answer', thought: 'It is red.', answer: 'red' });
  });

  it("reads DeepEyes' bbox_2d as absolute pixels of the original", () => {
    const t = parseTurn(`<think>zoom</think>${deepEyesCall([10, 20, 300, 400])}`, size);
    expect(t.kind).toBe('tool');
    if (t.kind !== 'tool') return;
    expect([...t.box]).toEqual([10, 20, 300, 400]);
    expect(t.viewBox).toBeNull();
    expect(t.label).toBe('red object');
  });

  it("converts Squint's bbox_view (0..100 over the letterboxed view) to pixels", () => {
    // 1000×500 letterboxed into a square: y offset is 25 grid units
    const t = parseTurn(squintCall([0, 25, 100, 75]), size);
    expect(t.kind).toBe('tool');
    if (t.kind !== 'tool') return;
    expect(t.box.map((v) => Math.round(v))).toEqual([0, 0, 1000, 500]);
    expect([...t.viewBox!]).toEqual([0, 25, 100, 75]);
  });

  it('reads bbox_crop on the grid of the last crop (the whole image before any crop)', () => {
    const crop = pixelBox(200, 100, 400, 200); // 200×100: letterboxed, y offset 25 units; 1 unit = 2 px
    const t = parseTurn(squintCall([50, 25, 100, 75], 'crop'), size, crop);
    expect(t.kind === 'tool' && [t.frame, t.box.map((v) => Math.round(v))]).toEqual(['crop', [300, 100, 400, 200]]);
    const before = parseTurn(squintCall([0, 25, 100, 75], 'crop'), size);
    expect(before.kind === 'tool' && before.box.map((v) => Math.round(v))).toEqual([0, 0, 1000, 500]);
  });

  it.each([
    ['invalid JSON', '<tool_call>{"name": image_zoom</tool_call>', /not valid JSON/],
    ['an unknown tool', '<tool_call>{"name":"rotate","arguments":{}}</tool_call>', /unknown tool "rotate"/],
    ['a missing box', '<tool_call>{"name":"image_zoom_in_tool","arguments":{}}</tool_call>', /four finite numbers/],
    ['a box of three numbers', '<tool_call>{"name":"image_zoom_in_tool","arguments":{"bbox_2d":[1,2,3]}}</tool_call>', /four finite numbers/],
    ['a box of strings', '<tool_call>{"name":"image_zoom_in_tool","arguments":{"bbox_2d":["1","2","3","4"]}}</tool_call>', /four finite numbers/],
    ['no arguments', '<tool_call>{"name":"image_zoom_in_tool"}</tool_call>', /no arguments/],
    ['a JSON array', '<tool_call>[1,2]</tool_call>', /unknown tool/],
    ['an unclosed call', '<tool_call>{"name":"image_zoom_in_tool"', /not closed/],
  ])('turns %s into an Error observation', (_name, text, message) => {
    const t = parseTurn(text, size);
    expect(t.kind).toBe('invalid');
    if (t.kind === 'invalid') {
      expect(t.error).toMatch(/^Error: /);
      expect(t.error).toMatch(message);
    }
  });

  it('a turn with neither answer nor tool call is "none"', () => {
    expect(parseTurn('<think>hmm</think>', size)).toEqual({ kind: 'none', thought: 'hmm' });
    expect(parseTurn('', size).kind).toBe('none');
  });

  it('the first of answer and tool call wins', () => {
    expect(parseTurn(`<answer>7</answer>${squintCall([1, 1, 50, 50])}`, size).kind).toBe('answer');
    expect(parseTurn(`${squintCall([1, 1, 50, 50])}<answer>7</answer>`, size).kind).toBe('tool');
  });
});

describe('tagsBalanced', () => {
  it('accepts well-formed turns and rejects unbalanced or nested tags', () => {
    expect(tagsBalanced('<think>a</think><answer>b</answer>')).toBe(true);
    expect(tagsBalanced('<think>a<answer>b</answer>')).toBe(false);
    expect(tagsBalanced('<think><think>a</think></think>')).toBe(false);
    expect(tagsBalanced('</answer><answer>')).toBe(false);
  });
});
