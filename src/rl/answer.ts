/** Answer matching: normalised exact match against the world's canonical short answers. */

/** Lower-case, trim, drop surrounding punctuation and a leading article. */
export function normalizeAnswer(text: string): string {
  return text
    .toLowerCase()
    .trim()
    .replace(/^[\s"'.,:;!?()[\]]+|[\s"'.,:;!?()[\]]+$/g, '')
    .replace(/^(the|a|an)\s+/, '')
    .replace(/\s+/g, ' ');
}

export function isCorrect(answer: string | null, truth: string): boolean {
  return answer !== null && normalizeAnswer(answer) === normalizeAnswer(truth);
}
