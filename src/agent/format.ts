/**
 * The DeepEyes conversation format as Squint's token stream:
 *
 *   <bos><user><image>{question}<assistant><think>…</think><tool_call>{…}</tool_call>
 *   <user><tool_response><image></tool_response><assistant><think>…</think><answer>…</answer><eos>
 *
 * (`<user>{question}<image><assistant>` for a model whose config sets questionFirst.)
 * Each `<image>` in the text stands for one image block of `tokensPerImage` positions.
 * Observations (the user turns after a tool call) are the environment's tokens: masked out of
 * every loss.
 */
export const TOOL_NAME = 'image_zoom_in_tool';

/** The first user turn; `questionFirst` models (config) read the question before the image. */
export const promptText = (question: string, questionFirst = false) =>
  questionFirst ? `<bos><user>${question}<image><assistant>` : `<bos><user><image>${question}<assistant>`;

export type Observation = { readonly kind: 'image' } | { readonly kind: 'error'; readonly message: string };

/** Error observations are capped and lose angle brackets, so model-chosen text echoed in them
 * (a tool name, say) can never spell a special token such as `<image>`. */
const MAX_ERROR_CHARS = 160;

export function observationText(obs: Observation): string {
  const body = obs.kind === 'image' ? '<image>' : obs.message.replace(/[<>]/g, '').slice(0, MAX_ERROR_CHARS);
  return `<user><tool_response>${body}</tool_response><assistant>`;
}

/**
 * Which view a Squint box is written on: `view` = the global view (`bbox_view`), `crop` = the
 * last crop the model was shown (`bbox_crop`), so a second zoom is as easy to aim as the first.
 */
export type BoxFrame = 'view' | 'crop';

/** Squint's own tool call: a box on the 0..100 grid of the global view or of the last crop. */
export function toolCallText(box: readonly number[], frame: BoxFrame = 'view'): string {
  return `<tool_call>{"name":"${TOOL_NAME}","arguments":{"bbox_${frame}":[${box.map((v) => Math.round(v)).join(',')}]}}</tool_call>`;
}

export const thinkText = (thought: string) => `<think>${thought}</think>`;
export const answerText = (answer: string) => `<answer>${answer}</answer>`;

/** Tokens only the environment writes: masked out of the model's sampling (and of RL's log-probs). */
export const ENVIRONMENT_ONLY_TOKENS = ['<unk>', '<pad>', '<bos>', '<image>', '<user>', '<assistant>', '<tool_response>', '</tool_response>'] as const;

/** Tokens that end a model turn. */
export const TURN_END_TOKENS = ['</tool_call>', '</answer>', '<eos>'] as const;
