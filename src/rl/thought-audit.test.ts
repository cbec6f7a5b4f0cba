import { describe, expect, it } from 'vitest';
import { countAnswers, countScanAudit, relationAudit, scanTotals } from './thought-audit';

const relation = (truth: string, correct: boolean, thought: string) => ({ family: 'relation' as const, truth, answer: correct ? truth : 'x', correct, thoughts: [thought] });

describe('relationAudit', () => {
  it('counts thoughts naming one object twice, and splits them by whether the named regions decide the asked axis', () => {
    const audit = relationAudit([
      // left/right asked, upper left vs upper right: columns differ → decided
      relation('left', true, 'It is clear: the red object is in the upper left and the blue object is in the upper right, so the red object is to the left of the other one.'),
      // left/right asked, the top vs the bottom: same column → undecided; the same object named twice
      relation('right', false, 'It is clear: the red object is in the top and the red object is in the bottom, so the red object is to the left of the other one.'),
      // above/below asked, the left vs the lower left: rows differ → decided
      relation('above', false, 'It is clear: the red object is in the left and the blue object is in the lower left, so the red object is below the other one.'),
      relation('above', false, 'Something else entirely.'),
      { family: 'count' as const, truth: '2', answer: '2', correct: true, thoughts: [''] },
    ]);
    expect(audit).toEqual({ n: 4, parsed: 3, sameObjectTwice: 1, decided: { n: 2, right: 1 }, undecided: { n: 1, right: 0 } });
  });
});

describe('countAnswers', () => {
  it('tabulates the answered count per true count, with non-counts as "other"', () => {
    const c = (truth: string, answer: string | null) => ({ family: 'count' as const, truth, answer, correct: truth === answer, thoughts: [] });
    const table = countAnswers([c('2', '5'), c('2', '5'), c('2', '2'), c('3', null), c('3', 'red')]);
    expect([...table.get('2')!]).toEqual([['5', 2], ['2', 1]]);
    expect(table.get('3')!.get('other')).toBe(2);
  });
});

describe('countScanAudit', () => {
  const scan = (totals: number[]) => `It is large enough to see here: I count the red objects area by area, the total so far: ${['the upper left', 'the top', 'the upper right', 'the left', 'the centre', 'the right', 'the lower left', 'the bottom', 'the lower right'].map((r, i) => `${r} ${totals[i]}`).join(', ')}. I count ${totals[8]} of them.`;

  it('reads the nine running totals of a scan, and nothing from a thought that is not one', () => {
    expect(scanTotals(scan([0, 1, 1, 1, 3, 3, 3, 3, 4]))).toEqual([0, 1, 1, 1, 3, 3, 3, 3, 4]);
    expect(scanTotals('I see the red objects in the top and the centre. I count 2 of them.')).toBeNull();
    // regions out of order, or a scan cut short, are not a scan
    expect(scanTotals(scan([0, 1, 1, 1, 3, 3, 3, 3, 4]).replace('the top 1', 'the bottom 1'))).toBeNull();
    expect(scanTotals('… the total so far: the upper left 0, the top 1.')).toBeNull();
  });

  it("scores each region's step against the objects there: missed, phantom, right", () => {
    const count = (truth: string, answer: string, thought: string, targetRegions?: string[]) =>
      ({ family: 'count' as const, truth, answer, correct: truth === answer, thoughts: [thought], targetRegions: targetRegions as never });
    const audit = countScanAudit([
      // two in the centre, one in the lower right: all right
      count('3', '3', scan([0, 0, 0, 0, 2, 2, 2, 2, 3]), ['the centre', 'the lower right', 'the centre']),
      // the top's object missed, a phantom in the bottom (the total comes out right by luck)
      count('2', '2', scan([0, 0, 0, 1, 1, 1, 1, 2, 2]), ['the top', 'the left']),
      // every step right, but the answer is not the last total
      count('1', '4', scan([1, 1, 1, 1, 1, 1, 1, 1, 1]), ['the upper left']),
      // an old record without target regions: counted as a scan, not scored
      count('1', '1', scan([1, 1, 1, 1, 1, 1, 1, 1, 1])),
      count('2', '5', 'I see the red objects in the top. I count 5 of them.', ['the top', 'the left']),
    ]);
    expect(audit).toEqual({ n: 5, scans: 4, answerIsLastTotal: 3, regions: 27, regionsRight: 25, missed: 1, phantom: 1, allRight: 2 });
  });
});
