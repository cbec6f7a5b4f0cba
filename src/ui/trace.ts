/**
 * Traces: what an episode looked like, as a file. Export as JSON (crops embedded as PNG data
 * URLs) or as one self-contained HTML page; import Squint traces and DeepEyes conversations.
 * Everything imported is validated (valibot) and treated as text, never as HTML.
 */
import * as v from 'valibot';
import { parseTurn } from '../agent/parser';
import { checkBox } from '../agent/crop';
import { MAX_FRAMINGS, SETTLING_LEAD, answerLead } from '../agent/framings';
import type { Size } from '../world/boxes';

export const TRACE_FORMAT = 'squint-trace';
export const TRACE_VERSION = 1;
/** Larger files are refused before parsing. */
export const MAX_TRACE_BYTES = 60 * 1024 * 1024;

export type Box = readonly [number, number, number, number];
export type StepKind = 'zoom' | 'answer' | 'error' | 'none';

export interface TraceCrop {
  readonly dataUrl: string;
  readonly width: number;
  readonly height: number;
}

/** What every step shows, whether live in the store or in a trace file. */
export interface StepRecord {
  readonly turn: number;
  readonly kind: StepKind;
  readonly text: string;
  readonly thought: string;
  readonly box: Box | null;
  readonly requestedBox: Box | null;
  readonly error: string | null;
  readonly answer: string | null;
  readonly tokens: number;
}

export interface StepTimings {
  readonly generateMs: number;
  readonly cropMs: number;
  readonly encodeMs: number;
}

export interface TraceStep extends StepRecord {
  readonly timings?: StepTimings;
  readonly crop: TraceCrop | null;
}

export interface TraceEpisode {
  readonly label: string;
  readonly toolEnabled: boolean;
  readonly answer: string | null;
  readonly endReason: string;
  readonly totalMs: number;
  readonly steps: readonly TraceStep[];
  /** Read on several framings: each reading's answer, the steps being the first's; `answer` is the majority's. */
  readonly readings?: readonly (string | null)[];
  /** The steps of the second reading on, in order (boxes in the original's px); absent in traces from before stop 50. */
  readonly otherReadingSteps?: readonly (readonly TraceStep[])[];
  /** Whose steps were shown: 0 the first reading's (`steps`), i the i-th of otherReadingSteps. */
  readonly shownReading?: number;
}

/** The steps of the reading an episode shows (the first's when the trace holds no others). */
export function shownTraceSteps(ep: TraceEpisode): readonly TraceStep[] {
  return (ep.shownReading ? ep.otherReadingSteps?.[ep.shownReading - 1] : undefined) ?? ep.steps;
}

export interface SquintTrace {
  readonly format: typeof TRACE_FORMAT;
  readonly version: typeof TRACE_VERSION;
  readonly createdAt: string;
  readonly question: string;
  readonly image: TraceCrop | null;
  readonly model?: { readonly preset: string; readonly parameters: number; readonly quantization?: string };
  readonly backend?: string;
  readonly puzzle?: { readonly seed: number; readonly answer: string; readonly family: string };
  readonly episodes: readonly TraceEpisode[];
}

// ---------------------------------------------------------------------------------------------
// Schemas

const DATA_URL = /^data:image\/(png|jpeg|webp|gif|bmp);base64,[A-Za-z0-9+/]+=*$/;
const text = (max: number) => v.pipe(v.string(), v.maxLength(max, `is longer than ${max} characters`));
const count = v.pipe(v.number(), v.integer(), v.minValue(0));
const finite = v.pipe(v.number(), v.finite());
const side = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(65536));
const boxSchema = v.nullable(v.tuple([finite, finite, finite, finite]));
const imageSchema = v.object({
  dataUrl: v.pipe(v.string(), v.maxLength(MAX_TRACE_BYTES), v.regex(DATA_URL, 'must be a base64 data:image/… URL (links to other sites are not allowed)')),
  width: side,
  height: side,
});

const stepSchema = v.object({
  turn: count,
  kind: v.picklist(['zoom', 'answer', 'error', 'none']),
  text: text(20_000),
  thought: text(20_000),
  box: boxSchema,
  requestedBox: boxSchema,
  error: v.nullable(text(2_000)),
  answer: v.nullable(text(2_000)),
  tokens: count,
  timings: v.optional(v.object({ generateMs: finite, cropMs: finite, encodeMs: finite })),
  crop: v.nullable(imageSchema),
});

const stepsSchema = v.pipe(v.array(stepSchema), v.maxLength(64, 'has more than 64 steps'));
const episodeSchema = v.pipe(
  v.object({
    label: text(200),
    toolEnabled: v.boolean(),
    answer: v.nullable(text(2_000)),
    endReason: text(40),
    totalMs: finite,
    steps: stepsSchema,
    readings: v.optional(v.pipe(v.array(v.nullable(text(2_000))), v.maxLength(MAX_FRAMINGS, `has more than ${MAX_FRAMINGS} readings`))),
    otherReadingSteps: v.optional(v.array(stepsSchema)),
    shownReading: v.optional(count),
  }),
  v.check((ep) => (ep.otherReadingSteps?.length ?? 0) <= Math.max(0, (ep.readings?.length ?? 0) - 1), 'has the steps of more readings than it lists answers for'),
  v.check((ep) => (ep.shownReading ?? 0) <= (ep.otherReadingSteps?.length ?? 0), 'shows a reading whose steps it does not hold'),
);

const traceSchema = v.object({
  format: v.literal(TRACE_FORMAT),
  version: v.literal(TRACE_VERSION),
  createdAt: text(100),
  question: text(2_000),
  image: v.nullable(imageSchema),
  model: v.optional(v.object({ preset: text(100), parameters: count, quantization: v.optional(text(40)) })),
  backend: v.optional(text(40)),
  puzzle: v.optional(v.object({ seed: v.pipe(v.number(), v.integer()), answer: text(200), family: text(40) })),
  episodes: v.pipe(v.array(episodeSchema), v.minLength(1, 'has no episodes'), v.maxLength(4, 'has more than 4 episodes')),
});

// DeepEyes / OpenAI-style chat messages (content as a string or as typed parts), or ShareGPT.
const partSchema = v.union([
  v.object({ type: v.literal('text'), text: text(20_000) }),
  v.object({ type: v.literal('image'), image: v.optional(v.unknown()) }),
  v.object({ type: v.literal('image_url'), image_url: v.optional(v.union([v.string(), v.object({ url: v.string() })])) }),
]);
const messageSchema = v.union([
  v.object({
    role: v.picklist(['system', 'user', 'assistant', 'tool']),
    content: v.union([text(20_000), v.pipe(v.array(partSchema), v.maxLength(32))]),
  }),
  v.object({ from: v.picklist(['system', 'human', 'gpt', 'tool', 'user', 'assistant']), value: text(20_000) }),
]);
const messagesSchema = v.pipe(v.array(messageSchema), v.minLength(2, 'needs at least a user and an assistant message'), v.maxLength(200));
const conversationSchema = v.union([
  messagesSchema,
  v.object({ messages: messagesSchema, images: v.optional(v.array(v.string())) }),
  v.object({ conversations: messagesSchema, images: v.optional(v.array(v.string())) }),
]);

// ---------------------------------------------------------------------------------------------
// Import

export class TraceImportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TraceImportError';
  }
}

/** A DeepEyes conversation reduced to what Squint replays. */
export interface DeepEyesConversation {
  readonly question: string;
  /** The first embedded image (data URL), if the conversation carries one. */
  readonly imageDataUrl: string | null;
  /** The assistant turns' raw text, in order. */
  readonly turns: readonly string[];
}

export type ParsedImport = { readonly kind: 'squint'; readonly trace: SquintTrace } | { readonly kind: 'deepeyes'; readonly conversation: DeepEyesConversation };

function issuesText(issues: readonly v.BaseIssue<unknown>[]): string {
  const first = issues.slice(0, 3).map((i) => {
    const path = v.getDotPath(i);
    return path ? `${path}: ${i.message}` : i.message;
  });
  return first.join('; ') + (issues.length > 3 ? ` (and ${issues.length - 3} more)` : '');
}

const stripImageMarkers = (s: string) =>
  s.replace(/<\|vision_start\|>(<\|image_pad\|>)*<\|vision_end\|>/g, '').replace(/<image>/g, '').trim();

type Message = v.InferOutput<typeof messageSchema>;
type Part = v.InferOutput<typeof partSchema>;

function normalise(m: Message): { role: string; parts: Part[] } {
  if ('from' in m) {
    const role = m.from === 'human' ? 'user' : m.from === 'gpt' ? 'assistant' : m.from;
    return { role, parts: [{ type: 'text', text: m.value }] };
  }
  return { role: m.role, parts: typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content };
}

function partImage(p: Part): string | null {
  const url = p.type === 'image' ? p.image : p.type === 'image_url' ? (typeof p.image_url === 'string' ? p.image_url : p.image_url?.url) : null;
  return typeof url === 'string' && DATA_URL.test(url) ? url : null;
}

/**
 * Parses and validates a trace file's text: a Squint trace, or a DeepEyes-style conversation.
 * @throws TraceImportError saying what is wrong, for the person importing it.
 */
export function parseTraceText(textIn: string): ParsedImport {
  if (textIn.length > MAX_TRACE_BYTES) throw new TraceImportError(`The file is too large to be a trace (over ${MAX_TRACE_BYTES / 1024 / 1024} MB).`);
  let raw: unknown;
  try {
    raw = JSON.parse(textIn);
  } catch (e) {
    throw new TraceImportError(`The file is not valid JSON (${(e as Error).message}).`);
  }
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw) && 'format' in raw) {
    const r = v.safeParse(traceSchema, raw);
    if (!r.success) throw new TraceImportError(`This Squint trace is malformed: ${issuesText(r.issues)}.`);
    return { kind: 'squint', trace: r.output as SquintTrace };
  }
  const r = v.safeParse(conversationSchema, raw);
  if (!r.success) {
    throw new TraceImportError(
      `The file is neither a Squint trace nor a DeepEyes conversation (a list of {role, content} messages): ${issuesText(r.issues)}.`,
    );
  }
  const out = r.output;
  const messages = Array.isArray(out) ? out : 'messages' in out ? out.messages : out.conversations;
  const extraImages = Array.isArray(out) ? [] : (out.images ?? []);
  const normalised = messages.map(normalise);
  const firstUser = normalised.find((m) => m.role === 'user');
  if (!firstUser) throw new TraceImportError('The conversation has no user message (the question).');
  const question = stripImageMarkers(firstUser.parts.filter((p) => p.type === 'text').map((p) => (p as { text: string }).text).join('\n'));
  if (!question) throw new TraceImportError('The conversation\'s first user message has no question text.');
  const turns = normalised.filter((m) => m.role === 'assistant').map((m) => m.parts.filter((p) => p.type === 'text').map((p) => (p as { text: string }).text).join(''));
  if (turns.length === 0) throw new TraceImportError('The conversation has no assistant turns to replay.');
  const imageDataUrl = firstUser.parts.map(partImage).find((u) => u !== null) ?? extraImages.find((u) => DATA_URL.test(u)) ?? null;
  return { kind: 'deepeyes', conversation: { question, imageDataUrl, turns } };
}

const asBox = (b: readonly number[] | null): Box | null => (b ? [b[0]!, b[1]!, b[2]!, b[3]!] : null);

/**
 * Replays a DeepEyes conversation's assistant turns through Squint's parser and box check on an
 * image of `size`: steps with boxes, errors and the answer (crops are cut by the caller).
 */
export function conversationSteps(turns: readonly string[], size: Size): { steps: TraceStep[]; answer: string | null; endReason: string } {
  const steps: TraceStep[] = [];
  for (const [turn, textIn] of turns.entries()) {
    const p = parseTurn(textIn, size);
    const base = { turn, text: textIn, thought: p.thought, tokens: 0, crop: null };
    if (p.kind === 'answer') {
      steps.push({ ...base, kind: 'answer', box: null, requestedBox: null, error: null, answer: p.answer });
      return { steps, answer: p.answer, endReason: 'answer' };
    }
    if (p.kind === 'none') {
      steps.push({ ...base, kind: 'none', box: null, requestedBox: null, error: null, answer: null });
      return { steps, answer: null, endReason: 'no_action' };
    }
    if (p.kind === 'invalid') {
      steps.push({ ...base, kind: 'error', box: null, requestedBox: null, error: p.error, answer: null });
      continue;
    }
    const check = checkBox(p.box, size);
    if (check.ok) steps.push({ ...base, kind: 'zoom', box: asBox(check.box), requestedBox: asBox(p.box), error: null, answer: null });
    else steps.push({ ...base, kind: 'error', box: null, requestedBox: asBox(p.box), error: check.error, answer: null });
  }
  return { steps, answer: null, endReason: 'max_turns' };
}

// ---------------------------------------------------------------------------------------------
// HTML export

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Colours of step boxes, in order (also used by the app). */
export const BOX_COLOURS = ['#e8590c', '#1971c2', '#2f9e44', '#ae3ec9', '#f08c00', '#0c8599', '#c2255c', '#5c940d'] as const;
export const boxColour = (i: number) => BOX_COLOURS[i % BOX_COLOURS.length]!;

const END_TEXT: Record<string, string> = {
  answer: 'answered',
  no_action: 'ended without an answer or a tool call',
  max_turns: 'reached the turn limit',
  context_full: 'ran out of context',
  stopped: 'stopped',
  error: 'failed',
};
export const endReasonText = (r: string) => END_TEXT[r] ?? r;

const safeDataUrl = (u: string) => (DATA_URL.test(u) ? u : '');

/**
 * One self-contained HTML page (no scripts, no external resources): the image with the zoom boxes,
 * each step's thought beside its crop, and the answer. Hovering a step highlights its box.
 */
export function traceToHtml(trace: SquintTrace): string {
  const img = trace.image;
  const episodes = trace.episodes.map((ep, ei) => {
    let zoomIndex = 0;
    const zooms: { box: Box; i: number; step: number }[] = [];
    const steps = shownTraceSteps(ep).map((s, si) => {
      const zi = s.kind === 'zoom' && s.box ? zoomIndex++ : -1;
      if (zi >= 0) zooms.push({ box: s.box!, i: zi, step: si });
      const colour = zi >= 0 ? boxColour(zi) : s.kind === 'answer' ? '#2b8a3e' : s.kind === 'error' ? '#c92a2a' : '#868e96';
      const action =
        s.kind === 'zoom' && s.box ? `Zoom into [${s.box.map((n) => Math.round(n)).join(', ')}]`
          : s.kind === 'answer' ? `Answer: <strong>${escapeHtml(s.answer ?? '')}</strong>`
            : s.kind === 'error' ? `Tool error: ${escapeHtml(s.error ?? '')}`
              : 'No answer and no tool call';
      const crop = s.crop && safeDataUrl(s.crop.dataUrl)
        ? `<img class="crop" src="${safeDataUrl(s.crop.dataUrl)}" width="${s.crop.width}" height="${s.crop.height}" alt="Crop of step ${si + 1}">` : '';
      return `<li class="step s${ei}-${si} ${s.kind}" style="--c:${colour}"><div class="body"><div class="turn">Step ${si + 1}</div>` +
        `<p class="thought">${escapeHtml(s.thought || '(no thought)')}</p><p class="action">${action}</p></div>${crop}</li>`;
    }).join('');
    const hoverRules = zooms.map((z) => `.ep${ei}:has(.s${ei}-${z.step}:hover) .b${ei}-${z.i}{stroke-width:calc(var(--sw)*2.2);fill:${boxColour(z.i)}22}`).join('');
    const w = img?.width ?? 100;
    const h = img?.height ?? 100;
    const sw = Math.max(2, Math.round(Math.max(w, h) / 300));
    const boxes = zooms.map((z) => {
      const [x1, y1, x2, y2] = z.box;
      return `<rect class="b${ei}-${z.i}" x="${x1}" y="${y1}" width="${x2 - x1}" height="${y2 - y1}" style="stroke:${boxColour(z.i)}"/>` +
        `<text x="${x1 + sw}" y="${y1 + sw * 7}" style="fill:${boxColour(z.i)};font-size:${sw * 7}px">${z.i + 1}</text>`;
    }).join('');
    const figure = img && safeDataUrl(img.dataUrl)
      ? `<figure><div class="frame"><img src="${safeDataUrl(img.dataUrl)}" alt="The image"><svg viewBox="0 0 ${w} ${h}" preserveAspectRatio="none" style="--sw:${sw}px">${boxes}</svg></div></figure>` : '';
    const readings = ep.readings && ep.readings.length > 1 ? `<p class="readings">${escapeHtml(readingsText(ep.readings, ep.shownReading ?? 0))}</p>` : '';
    const answer = (ep.answer !== null ? `<p class="answer">Answer: <strong>${escapeHtml(ep.answer)}</strong></p>` : `<p class="answer none">No answer (${escapeHtml(endReasonText(ep.endReason))}).</p>`) + readings;
    return `<section class="episode ep${ei}"><style>${hoverRules}</style><h2>${escapeHtml(ep.label)}</h2>` +
      `<div class="grid">${figure}<div><ol class="steps">${steps}</ol>${answer}</div></div></section>`;
  }).join('');
  const model = trace.model ? `${escapeHtml(trace.model.preset)} model, ${(trace.model.parameters / 1e6).toFixed(2)}M parameters` : 'Squint model';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<title>Squint trace: ${escapeHtml(trace.question)}</title>
<style>
body{font:18px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;padding:2rem;background:#f7f6f3;color:#1d2330}
h1{font-size:1.6rem;margin:0 0 .25rem}h2{font-size:1.15rem;margin:1.5rem 0 .75rem}
.meta{color:#5c6370;font-size:.9rem;margin:0 0 1rem}
.grid{display:grid;grid-template-columns:minmax(0,1.1fr) minmax(0,1fr);gap:1.5rem;align-items:start}
figure{margin:0}.frame{position:relative;display:inline-block;line-height:0;max-width:100%}.frame img{display:block;max-width:100%;max-height:85vh;width:auto;height:auto;border-radius:6px}
svg{position:absolute;inset:0;width:100%;height:100%}
rect{fill:none;stroke-width:var(--sw)}text{font-weight:700;font-family:system-ui,sans-serif}
.steps{list-style:none;padding:0;margin:0;display:flex;flex-direction:column;gap:.75rem}
.step{display:flex;gap:1rem;background:#fff;border-left:5px solid var(--c);border-radius:6px;padding:.75rem 1rem;box-shadow:0 1px 2px #0001}
.step .body{flex:1;min-width:0}.turn{font-size:.8rem;color:#5c6370;text-transform:uppercase;letter-spacing:.04em}
.thought{margin:.25rem 0;white-space:pre-wrap;overflow-wrap:anywhere}.action{margin:0;font-size:.95rem;overflow-wrap:anywhere}
.crop{width:140px;height:auto;max-height:140px;object-fit:contain;border-radius:4px;background:#0001;image-rendering:auto}
.answer{font-size:1.2rem;margin:1rem 0 0}.answer.none{color:#5c6370}
.note{margin-top:2rem;color:#5c6370;font-size:.85rem}
@media (max-width:800px){.grid{grid-template-columns:1fr}}
</style></head><body>
<h1>${escapeHtml(trace.question)}</h1>
<p class="meta">Squint trace · ${model}${trace.backend ? ` · ${escapeHtml(trace.backend)}` : ''} · ${escapeHtml(trace.createdAt)}</p>
${episodes}
<p class="note">Squint is a tiny vision-language model trained only on a procedural world of shapes and glyphs; on real photos its answers will be wrong. Boxes are in pixels of the original image.</p>
</body></html>
`;
}

const ORDINALS = ['first', 'second', 'third', 'fourth', 'fifth'];

/**
 * What several readings said (src/agent/framings.ts), for the answer line: the answer is the
 * majority's, the steps shown reading `shown`'s (0 the first). Reading stops once one answer leads by two.
 */
export function readingsText(readings: readonly (string | null)[], shown = 0): string {
  const said = readings.map((a) => (a === null ? 'no answer' : a)).join(', ');
  const why = answerLead(readings) < SETTLING_LEAD ? 'No answer got two votes ahead, so the answer is what most readings say'
    : readings.length === 2 ? 'The two readings agree, so reading stopped' : 'One answer got two votes ahead, so reading stopped';
  return `Read on ${readings.length} framings (the image as it is, then shifted on a black margin): ${said}. ${why}; the steps shown are the ${ORDINALS[shown] ?? `${shown + 1}th`} reading's.`;
}
