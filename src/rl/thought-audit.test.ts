import { describe, expect, it } from 'vitest';
import { countAnswers, relationAudit } from './thought-audit';

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
