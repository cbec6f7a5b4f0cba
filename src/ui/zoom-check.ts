/**
 * Whether a zoom box holds the puzzle's target: known only for a generated puzzle asked its own
 * question (a user's question about the same image may be about something else). The same test
 * as the eval's "first zoom contains the target": the box contains the union of the targets.
 */
import { containsBox, pixelBox, unionBox } from '../world/boxes';
import type { PuzzleInfo } from '../worker/protocol';

export function zoomHoldsTarget(box: readonly number[] | null | undefined, puzzle: PuzzleInfo | null, question: string): boolean | null {
  if (!box || box.length !== 4 || !puzzle || puzzle.targets.length === 0 || question.trim() !== puzzle.question.trim()) return null;
  return containsBox(pixelBox(box[0]!, box[1]!, box[2]!, box[3]!), unionBox(puzzle.targets));
}
