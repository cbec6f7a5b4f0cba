/**
 * Turns an oracle plan into the exact token stream the agent loop would produce, crops
 * included (cut with the same crop tool), with per-token loss weights for SFT.
 */
import { checkBox, cropImage } from '../agent/crop';
import { answerText, observationText, promptText, thinkText, toolCallText } from '../agent/format';
import type { ModelConfig } from '../model/config';
import type { SquintTokenizer } from '../model/tokenizer';
import type { RgbaImage } from '../world/canvas';
import { type PixelBox, pixelBox } from '../world/boxes';
import { parseTurn } from '../agent/parser';
import { context2d } from '../world/canvas';
import type { EpisodeImage } from '../agent/loop';
import type { OraclePlan } from './oracle';
import { type BlockTargets, type GroundingQuery, countedTargets, globalBlock, groundingQueries, viewFineTargetCells, viewTargetTokens } from './grounding';

export interface TrainingSequence {
  readonly ids: number[];
  /** Loss weight for predicting ids[t] (0 for prompt, images and observations). */
  readonly weights: number[];
  /** Patches of each image block, in order. */
  readonly images: Float32Array[];
  /** Where each image block was cut from the original (the whole image, then each crop). */
  readonly views: PixelBox[];
  /** Where the thoughts name the targets' region, and the global-view tokens covering them (grounding.ts). */
  readonly grounding: GroundingQuery[];
}

/** What turning episodes into tokens needs of a model (SquintModel has it; no weights needed). */
export interface SequenceEncoder {
  readonly config: ModelConfig;
  readonly tokenizer: SquintTokenizer;
  readonly tokensPerImage: number;
  patches(image: RgbaImage): Float32Array;
}

/** Extra weight on the tokens that decide the episode: box coordinates and the answer… */
export const KEY_TOKEN_WEIGHT = 3;
/** …and the first words of each thought, where the model commits to zooming or answering. */
const DECISION_TOKENS = 3;

/**
 * `targets` (original pixels) give the grounding queries; without them there are none.
 * `targetColours` (one per target) let a thought's colour words look at their own targets.
 * @throws when a planned box cannot be cropped (a bug in the oracle, not a data condition).
 */
export function planToSequence(model: SequenceEncoder, image: EpisodeImage, question: string, plan: OraclePlan, targets: readonly PixelBox[] = [], targetColours: readonly string[] = []): TrainingSequence {
  const tok = model.tokenizer;
  const imageId = tok.special('<image>');
  const K = model.tokensPerImage;
  const seq: TrainingSequence = { ids: [], weights: [], images: [], views: [], grounding: [] };

  const pushEnv = (text: string, images: Float32Array[]) => {
    for (const id of tok.encode(text)) {
      const n = id === imageId ? K : 1;
      for (let k = 0; k < n; k++) seq.ids.push(id), seq.weights.push(0);
    }
    seq.images.push(...images);
  };
  const pushModel = (text: string, weight: number) => {
    for (const id of tok.encode(text)) seq.ids.push(id), seq.weights.push(weight);
  };

  const full = context2d(image.canvas).getImageData(0, 0, image.size.width, image.size.height);
  pushEnv(promptText(question, model.config.questionFirst), [model.patches(full)]);
  seq.views.push(pixelBox(0, 0, image.size.width, image.size.height));
  let lastCrop: PixelBox | undefined;
  for (const turn of plan.turns) {
    const scale = turn.imitate ? 1 : 0; // a deliberate miss is shown, not learnt
    const think = tok.encode(thinkText(turn.thought));
    think.forEach((id, i) => (seq.ids.push(id), seq.weights.push(scale * (i >= 1 && i <= DECISION_TOKENS ? KEY_TOKEN_WEIGHT : 1))));
    if (!turn.zoom) {
      pushModel('<answer>', 1);
      pushModel(answerText(plan.answer).slice('<answer>'.length), KEY_TOKEN_WEIGHT);
      pushModel('<eos>', 1);
      break;
    }
    pushModel(toolCallText(turn.zoom.box, turn.zoom.frame), scale * KEY_TOKEN_WEIGHT);
    // the crop the agent loop would cut for this call (parsed exactly as the loop parses it)
    const parsed = parseTurn(toolCallText(turn.zoom.box, turn.zoom.frame), image.size, lastCrop);
    const check = parsed.kind === 'tool' ? checkBox(parsed.box, image.size) : null;
    if (!check?.ok) throw new Error(`oracle box ${JSON.stringify(turn.zoom.box)} (${turn.zoom.frame}) rejected: ${check?.error ?? 'unparsable'}`);
    pushEnv(observationText({ kind: 'image' }), [model.patches(cropImage(image.canvas, check.box, image.createCanvas))]);
    seq.views.push(check.box);
    lastCrop = check.box;
  }
  if (targets.length) {
    // image blocks are runs of K image ids, one per view, in order
    const starts = seq.ids.flatMap((id, t) => (id === imageId && seq.ids[t - 1] !== imageId ? [t] : []));
    const side = Math.sqrt(K);
    const { countMass, countPeaks, countDetector, fineDetector, fineAim } = model.config;
    const cropBlock = (view: PixelBox, start: number): BlockTargets => ({
      start, tokens: viewTargetTokens(targets, view, side), ...(fineAim ? { fine: viewFineTargetCells(targets, view, side) } : {}),
    });
    const blocks: BlockTargets[] = seq.views.map((view, i) => (i === 0 ? globalBlock(starts[0], targets, targetColours, image.size, side, plan.scan, fineAim) : { ...cropBlock(view, starts[i]), ...closerLook(plan, i - 1, targets, view, side) }));
    seq.grounding.push(...groundingQueries(tok, seq.ids, seq.weights, blocks, { sink: countMass, split: countPeaks, detect: countDetector, fine: fineDetector }));
  }
  return seq;
}

/** For the crop of a count's k-th closer look: the targets of its area, as that crop shows them. */
function closerLook(plan: OraclePlan, k: number, targets: readonly PixelBox[], view: PixelBox, side: number): Pick<BlockTargets, 'counted'> {
  const area = plan.scan?.closer?.[k];
  if (!area) return {};
  const local = targets.filter((_, i) => plan.scan!.ofTargets[i] === area).map((t) => pixelBox(t[0] - view[0], t[1] - view[1], t[2] - view[0], t[3] - view[1]));
  return { counted: countedTargets(local, { width: view[2] - view[0], height: view[3] - view[1] }, side, true) };
}
