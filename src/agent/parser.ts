/**
 * Parses one model turn. Accepts DeepEyes' exact syntax (`bbox_2d` in absolute pixels of the
 * original) and Squint's own: `bbox_view` on the 0..100 grid of the letterboxed global view, or
 * `bbox_crop` on the same grid over the last crop the model saw (`lastCrop`; the whole image
 * before any crop).
 * Never throws: whatever the text, the result says what was found or what is wrong.
 */
import { type PixelBox, type Size, type ViewBox, pixelBox, viewBox, viewToPixel } from '../world/boxes';
import { type BoxFrame, TOOL_NAME } from './format';

export type ParsedTurn =
  | { readonly kind: 'answer'; readonly thought: string; readonly answer: string }
  | {
    readonly kind: 'tool'; readonly thought: string; readonly box: PixelBox;
    /** The grid box as written, and the view it is on (null for DeepEyes' pixel boxes). */
    readonly viewBox: ViewBox | null; readonly frame: BoxFrame | null;
    readonly label: string | null; readonly callText: string;
  }
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

export function parseTurn(text: string, imageSize: Size, lastCrop?: PixelBox): ParsedTurn {
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
  return parseCall(body.trim(), thought, imageSize, lastCrop ?? pixelBox(0, 0, imageSize.width, imageSize.height));
}

function parseCall(body: string, thought: string, imageSize: Size, lastCrop: PixelBox): ParsedTurn {
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
  const a = args as { bbox_2d?: unknown; bbox_view?: unknown; bbox_crop?: unknown; label?: unknown };
  const label = typeof a.label === 'string' ? a.label : null;
  const raw = a.bbox_2d ?? a.bbox_view ?? a.bbox_crop;
  if (!Array.isArray(raw) || raw.length !== 4 || !raw.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    return invalid('bbox must be an array of four finite numbers [x1, y1, x2, y2].');
  }
  const [x1, y1, x2, y2] = raw as number[];
  if (a.bbox_2d !== undefined) return { kind: 'tool', thought, box: pixelBox(x1, y1, x2, y2), viewBox: null, frame: null, label, callText: body };
  const vb = viewBox(x1, y1, x2, y2);
  if (a.bbox_view !== undefined) return { kind: 'tool', thought, box: viewToPixel(vb, imageSize), viewBox: vb, frame: 'view', label, callText: body };
  return { kind: 'tool', thought, box: cropViewToPixel(vb, lastCrop), viewBox: vb, frame: 'crop', label, callText: body };
}

/** A grid box on the view of `crop` (letterboxed like any view) → pixels of the original. */
export function cropViewToPixel(box: ViewBox, crop: PixelBox): PixelBox {
  const local = viewToPixel(box, { width: crop[2] - crop[0], height: crop[3] - crop[1] });
  return pixelBox(local[0] + crop[0], local[1] + crop[1], local[2] + crop[0], local[3] + crop[1]);
}
