/**
 * The think–zoom–observe loop (DeepEyes' environment). One implementation drives the browser
 * worker, the Node eval and RL rollouts:
 *   1. prompt + global view → the model writes a turn
 *   2. an answer ends the episode; a turn with neither answer nor tool call ends it
 *   3. a tool call is checked and cropped from the original; the crop (or an `Error: …`) is
 *      appended as a user turn and the model goes on, until maxTurns.
 * Once the context has no room for another crop, the turn may only answer (as without the tool).
 */
import { type SamplingOptions, logSoftmax, sampleToken, seededRandom } from '../model/sampling';
import type { SquintTokenizer } from '../model/tokenizer';
import type { PixelBox, Size } from '../world/boxes';
import { type Canvas2D, type CreateCanvas, type RgbaImage, context2d } from '../world/canvas';
import { checkBox, cropImage } from './crop';
import { ENVIRONMENT_ONLY_TOKENS, type Observation, TURN_END_TOKENS, observationText, promptText } from './format';
import { parseTurn, tagsBalanced } from './parser';
import type { EndReason, TokenSequence, Trajectory, TrajectoryStep } from './trajectory';

/** What the loop needs of a decoding session (DecodeSession; scripted fakes in tests). */
export interface AgentSession {
  readonly remaining: number;
  appendTokens(ids: readonly number[]): Promise<Float32Array>;
  appendImage(patches: Float32Array): Promise<Float32Array>;
  dispose(): void;
}

/** What the loop needs of a model (SquintModel implements it). */
export interface AgentModel {
  readonly tokenizer: SquintTokenizer;
  readonly tokensPerImage: number;
  /** The prompt's order (ModelConfig.questionFirst); absent means image first. */
  readonly questionFirst?: boolean;
  newSession(): AgentSession;
  patches(image: RgbaImage): Float32Array;
}

export interface EpisodeImage {
  readonly size: Size;
  /** The original at full resolution, drawn on a canvas (crops are cut from it). */
  readonly canvas: Canvas2D;
  readonly createCanvas: CreateCanvas;
}

export interface EpisodeOptions {
  /** DeepEyes: 5 in training, up to 10 at evaluation. */
  readonly maxTurns: number;
  readonly toolEnabled: boolean;
  readonly sampling: SamplingOptions;
  readonly seed: number;
  readonly maxTokensPerTurn: number;
  readonly signal?: AbortSignal;
}

export const DEFAULT_EPISODE_OPTIONS: EpisodeOptions = {
  maxTurns: 5,
  toolEnabled: true,
  sampling: { temperature: 0, topP: 1 },
  seed: 1,
  maxTokensPerTurn: 96,
};

export interface EpisodeCallbacks {
  /** Each generated token's text, as it is sampled. */
  onToken?(turn: number, piece: string): void;
  /** Each finished step (zoom with its crop, error, answer). */
  onStep?(step: TrajectoryStep): void;
}

/** DeepEyes' format term: an answer of 1000+ characters counts as a format error. */
const MAX_ANSWER_CHARS = 1000;

const now = () => performance.now();

/** Ids the model may never sample (RL must mask the same ones when it recomputes log-probs). */
export const environmentOnlyIds = (tok: SquintTokenizer): number[] => ENVIRONMENT_ONLY_TOKENS.map((t) => tok.special(t));

/**
 * Runs one episode. Resolves with the trajectory whatever the model writes; a stop through
 * `signal` ends it with endReason 'stopped'. The model's session is always disposed.
 */
export async function runEpisode(
  model: AgentModel, image: EpisodeImage, question: string, options: EpisodeOptions, callbacks: EpisodeCallbacks = {},
): Promise<Trajectory> {
  const started = now();
  const tok = model.tokenizer;
  const K = model.tokensPerImage;
  const random = seededRandom(options.seed);
  const toolStartId = tok.special('<tool_call>');
  const toolEndId = tok.special('</tool_call>');
  const episodeEndIds = new Set(TURN_END_TOKENS.filter((t) => t !== '</tool_call>').map((t) => tok.special(t)));
  const thinkEndId = tok.special('</think>');
  const answerId = tok.special('<answer>');
  const alwaysBlocked = environmentOnlyIds(tok);
  // when no crop could be read any more (tool disabled, or no room left in the context
  // for another image), answering is the only action left: no call, no end of turn before an
  // answer (else a thought that announces a zoom, followed by a call body without its masked
  // opening tag, ends the episode with no answer at all), and <answer> right after the thought
  const answerOnlyBlocked = [...alwaysBlocked, ...(['<tool_call>', '</tool_call>', '<eos>'] as const).map((t) => tok.special(t))];
  const imageId = tok.special('<image>');
  const seq: TokenSequence = { ids: [], modelMask: [], logprobs: [], images: [] };
  const steps: TrajectoryStep[] = [];
  const session = model.newSession();
  let endReason: EndReason = 'max_turns';
  let answer: string | null = null;
  /** `bbox_crop` boxes are read on the last crop the model was shown (the whole image before any). */
  let lastCrop: PixelBox | undefined;
  let formatValid = true;

  const stopped = () => options.signal?.aborted === true;

  /** Appends environment text; each `<image>` becomes an image block. Returns the last logits. */
  const appendEnvironment = async (text: string, images: Float32Array[]): Promise<Float32Array> => {
    const ids = tok.encode(text);
    let logits: Float32Array | null = null;
    let pending: number[] = [];
    let imageIndex = 0;
    for (const id of ids) {
      if (id !== imageId) {
        pending.push(id);
        continue;
      }
      if (pending.length) logits = await appendTokens(session, seq, pending);
      pending = [];
      const patches = images[imageIndex++];
      logits = await session.appendImage(patches);
      seq.images.push(patches);
      for (let k = 0; k < K; k++) seq.ids.push(imageId), seq.modelMask.push(0), seq.logprobs.push(0);
    }
    if (pending.length) logits = await appendTokens(session, seq, pending);
    return logits!;
  };

  try {
    const globalPatches = model.patches(context2d(image.canvas).getImageData(0, 0, image.size.width, image.size.height));
    let logits = await appendEnvironment(promptText(question, model.questionFirst), [globalPatches]);

    for (let turn = 0; turn < options.maxTurns; turn++) {
      if (stopped()) { endReason = 'stopped'; break; }
      // 1. the model writes one turn
      const t0 = now();
      const turnIds: number[] = [];
      let contextFull = false;
      let unappended: number | null = null; // a sampled token not yet in the cache
      let callOpened = false;
      while (turnIds.length < options.maxTokensPerTurn) {
        // a crop fits while the context holds an image and a few tokens more; a call already
        // opened keeps its tokens (it ends as context_full below if its crop no longer fits)
        const answerOnly = !options.toolEnabled || (!callOpened && session.remaining <= K + 16);
        for (const id of answerOnly ? answerOnlyBlocked : alwaysBlocked) logits[id] = -Infinity;
        if (answerOnly && turnIds[turnIds.length - 1] === thinkEndId) {
          for (let v = 0; v < logits.length; v++) if (v !== answerId) logits[v] = -Infinity;
        }
        const id = sampleToken(logits, options.sampling, random);
        const logp = logSoftmax(logits, options.sampling.temperature)[id];
        turnIds.push(id);
        seq.ids.push(id), seq.modelMask.push(1), seq.logprobs.push(logp);
        callbacks.onToken?.(turn, tok.pieceText(id));
        if (id === toolStartId) callOpened = true;
        if (episodeEndIds.has(id)) { unappended = id; break; }
        if (session.remaining <= (callOpened ? K + 16 : 1)) { contextFull = true; unappended = id; break; }
        // every token that does not end the episode enters the cache (</tool_call> included:
        // the observation follows it, exactly as in the training sequences)
        logits = await session.appendTokens([id]);
        if (id === toolEndId || stopped()) break;
      }
      const generateMs = now() - t0;
      const text = tok.decode(turnIds);
      if (!tagsBalanced(text)) formatValid = false;
      if (stopped()) { endReason = 'stopped'; break; }
      const parsed = parseTurn(text, image.size, lastCrop);
      const base = { turn, text, thought: parsed.thought, tokens: turnIds.length };
      const noTimings = { generateMs, cropMs: 0, encodeMs: 0 };

      // 2. answer or nothing: the episode ends
      if (parsed.kind === 'answer') {
        answer = parsed.answer;
        if (answer.length >= MAX_ANSWER_CHARS) formatValid = false;
        const step: TrajectoryStep = { ...base, kind: 'answer', requestedBox: null, viewBox: null, box: null, crop: null, error: null, answer, timings: noTimings };
        steps.push(step), callbacks.onStep?.(step);
        endReason = 'answer';
        break;
      }
      if (parsed.kind === 'none') {
        const step: TrajectoryStep = { ...base, kind: 'none', requestedBox: null, viewBox: null, box: null, crop: null, error: null, answer: null, timings: noTimings };
        steps.push(step), callbacks.onStep?.(step);
        endReason = contextFull ? 'context_full' : 'no_action';
        break;
      }
      if (contextFull) { endReason = 'context_full'; break; }

      // 3. a tool call: crop, or explain what is wrong; the episode goes on (if it still fits)
      const check = parsed.kind === 'tool' ? checkBox(parsed.box, image.size) : null;
      const error = check?.ok ? null : parsed.kind === 'invalid' ? parsed.error : check && !check.ok ? check.error : 'Error: invalid tool call.';
      const observation: Observation = error === null ? { kind: 'image' } : { kind: 'error', message: error };
      const observationTokens = tok.encode(observationText(observation)).length + (error === null ? K - 1 : 0);
      if (session.remaining < observationTokens + 16 + (unappended !== null ? 1 : 0)) { endReason = 'context_full'; break; }
      // a turn ended by </answer> or <eos> that still parsed as a tool call: its last token must
      // enter the cache before the observation, as it stands in the sequence
      if (unappended !== null) logits = await session.appendTokens([unappended]);
      const t1 = now();
      let step: TrajectoryStep;
      if (parsed.kind === 'tool' && check?.ok) {
        const crop = cropImage(image.canvas, check.box, image.createCanvas);
        const cropMs = now() - t1;
        const t2 = now();
        logits = await appendEnvironment(observationText(observation), [model.patches(crop)]);
        step = { ...base, kind: 'zoom', requestedBox: parsed.box, viewBox: parsed.viewBox, box: check.box, crop, error: null, answer: null, timings: { generateMs, cropMs, encodeMs: now() - t2 } };
        lastCrop = check.box;
      } else {
        logits = await appendEnvironment(observationText(observation), []);
        step = {
          ...base, kind: 'error', requestedBox: parsed.kind === 'tool' ? parsed.box : null, viewBox: parsed.kind === 'tool' ? parsed.viewBox : null,
          box: null, crop: null, error, answer: null, timings: { generateMs, cropMs: 0, encodeMs: now() - t1 },
        };
      }
      steps.push(step), callbacks.onStep?.(step);
    }
  } finally {
    session.dispose();
  }
  if (endReason !== 'answer') formatValid = false;
  return { question, imageSize: image.size, steps, answer, endReason, formatValid, totalMs: now() - started, sequence: seq };
}

async function appendTokens(session: AgentSession, seq: TokenSequence, ids: number[]): Promise<Float32Array> {
  for (const id of ids) seq.ids.push(id), seq.modelMask.push(0), seq.logprobs.push(0);
  return session.appendTokens(ids);
}
