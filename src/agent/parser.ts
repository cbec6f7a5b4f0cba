/**
 * Parses one model turn. Accepts DeepEyes' exact syntax (`bbox_2d` in absolute pixels of the
 * original) and Squint's own (`bbox_view` on the 0..100 grid of the letterboxed global view).
 * Never throws: whatever the text, the result says what was found or what is wrong.
 */
import { type PixelBox, type Size, type ViewBox, pixelBox, viewBox, viewToPixel } from '../world/boxes';
import { TOOL_NAME } from './format';

export type ParsedTurn =
  | { readonly kind: 'answer'; readonly thought: string; readonly answer: string }
  | { readonly kind: 'tool'; readonly thought: string; readonly box: PixelBox; readonly viewBox: ViewBox | null; readonly label: string | null; readonly callText: string }
  /** A tool call was attempted but is unusable: the environment answers with this error. */
  | { readonly kind: 'invalid'; readonly thought: string; readonly error: string; readonly callText: string }
  /** Neither an answer nor a tool call: the episode ends (DeepEyes). */
  | { readonly kind: 'none'; readonly thought: string };

const between = (text: string, open: string, close: string): string | null => {
  const a = text.indexOf(open);
  if (a < 0) return null;
  const b = text.indexOf(close, a + open.length);
  return b < 0 ? null : text.slice(a + open.length, b);
};

/** True when every open tag has its close tag, in order, with no nesting of the same tag. */
export function tagsBalanced(text: string): boolean {
  for (const tag of ['think', 'tool_call', 'answer']) {
    const re = new RegExp(`<(/?)${tag}>`, 'g');
    let depth = 0;
    for (const m of text.matchAll(re)) {
      depth += m[1] ? -1 : 1;
      if (depth < 0 || depth > 1) return false;
    }
    if (depth !== 0) return false;
  }
  return true;
}

export function parseTurn(text: string, imageSize: Size): ParsedTurn {
  const thought = (between(text, '<think>', '</think>') ?? '').trim();
  const answer = between(text, '<answer>', '</answer>');
  const callStart = text.indexOf('<tool_call>');
  // The first of answer / tool call wins (a turn ends at its first closing tag).
  if (answer !== null && (callStart < 0 || text.indexOf('<answer>') < callStart)) {
    return { kind: 'answer', thought, answer: answer.trim() };
  }
  if (callStart < 0) return { kind: 'none', thought };
  const body = between(text, '<tool_call>', '</tool_call>');
  const callText = body ?? text.slice(callStart + '<tool_call>'.length);
  if (body === null) return { kind: 'invalid', thought, error: 'Error: the tool call is not closed with </tool_call>.', callText };
  return parseCall(body.trim(), thought, imageSize);
}

function parseCall(body: string, thought: string, imageSize: Size): ParsedTurn {
  const invalid = (error: string): ParsedTurn => ({ kind: 'invalid', thought, error: `Error: ${error}`, callText: body });
  let call: unknown;
  try {
    call = JSON.parse(body);
  } catch {
    return invalid('the tool call is not valid JSON.');
  }
  if (typeof call !== 'object' || call === null) return invalid('the tool call must be a JSON object.');
  const { name, arguments: args } = call as { name?: unknown; arguments?: unknown };
  if (name !== TOOL_NAME) return invalid(`unknown tool ${JSON.stringify(name)}; the only tool is ${TOOL_NAME}.`);
  if (typeof args !== 'object' || args === null) return invalid('the tool call has no arguments object.');
  const a = args as { bbox_2d?: unknown; bbox_view?: unknown; label?: unknown };
  const label = typeof a.label === 'string' ? a.label : null;
  const raw = a.bbox_2d ?? a.bbox_view;
  if (!Array.isArray(raw) || raw.length !== 4 || !raw.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    return invalid('bbox must be an array of four finite numbers [x1, y1, x2, y2].');
  }
  const [x1, y1, x2, y2] = raw as number[];
  if (a.bbox_2d !== undefined) return { kind: 'tool', thought, box: pixelBox(x1, y1, x2, y2), viewBox: null, label, callText: body };
  const vb = viewBox(x1, y1, x2, y2);
  return { kind: 'tool', thought, box: viewToPixel(vb, imageSize), viewBox: vb, label, callText: body };
}
