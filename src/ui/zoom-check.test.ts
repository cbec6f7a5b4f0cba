import { describe, expect, it } from 'vitest';
import type { PuzzleInfo } from '../worker/protocol';
import { zoomHoldsTarget } from './zoom-check';

const puzzle: PuzzleInfo = {
  seed: 1, difficulty: 0.5, question: 'What is written on the red circle?', answer: '7', family: 'glyph', resolvable: false,
  targets: [[100, 100, 120, 120]],
};

describe('zoomHoldsTarget', () => {
  it('true when the box contains the whole target, false when it cuts or misses it', () => {
    expect(zoomHoldsTarget([90, 90, 130, 130], puzzle, puzzle.question)).toBe(true);
    expect(zoomHoldsTarget([110, 90, 130, 130], puzzle, puzzle.question)).toBe(false);
    expect(zoomHoldsTarget([0, 0, 50, 50], puzzle, puzzle.question)).toBe(false);
  });

  it('several targets (a count question): the box must hold all of them', () => {
    const two = { ...puzzle, targets: [[100, 100, 120, 120], [300, 300, 320, 320]] as PuzzleInfo['targets'] };
    expect(zoomHoldsTarget([90, 90, 130, 130], two, two.question)).toBe(false);
    expect(zoomHoldsTarget([90, 90, 330, 330], two, two.question)).toBe(true);
  });

  it('unknown (null) without a puzzle, for another question, or without a box', () => {
    expect(zoomHoldsTarget([90, 90, 130, 130], null, 'anything')).toBeNull();
    expect(zoomHoldsTarget([90, 90, 130, 130], puzzle, 'How many squares are there?')).toBeNull();
    expect(zoomHoldsTarget(undefined, puzzle, puzzle.question)).toBeNull();
  });
});
