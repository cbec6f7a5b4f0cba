/**
 * fast-check generators of model-like output for the property tests (parser, loop). Test-only.
 * Arbitrary strings alone rarely reach the tool-call JSON, so these splice the format's own
 * fragments (tags, the tool name, box keys, whole calls, numbers of every kind) with noise.
 */
import fc from 'fast-check';
import { TOOL_NAME } from './format';

const numberText = fc.oneof(
  fc.integer({ min: -1000, max: 3000 }).map(String),
  fc.double().map(String), // NaN, ±Infinity, -0, 1e308 as text
  fc.constantFrom('1e400', '-1e400', '0x10', '"12"', 'null', 'true', '[]', '{}', ''),
);
const boxText = fc.array(numberText, { minLength: 0, maxLength: 6 }).map((xs) => `[${xs.join(',')}]`);
const fourNumbers = fc.tuple(numberText, numberText, numberText, numberText).map((xs) => `[${xs.join(',')}]`);
const wholeCall = fc
  .tuple(fc.constantFrom('bbox_view', 'bbox_2d', 'bbox_crop'), fc.oneof(fourNumbers, fc.tuple(fc.nat(100), fc.nat(100), fc.nat(100), fc.nat(100)).map((xs) => `[${xs.join(',')}]`)))
  .map(([key, box]) => `<tool_call>{"name":"${TOOL_NAME}","arguments":{"${key}":${box}}}</tool_call>`);

const fragment = fc.oneof(
  fc.constantFrom(
    '<think>', '</think>', '<answer>', '</answer>', '<tool_call>', '</tool_call>', '<image>', '<eos>',
    `{"name":"${TOOL_NAME}","arguments":{`, '{"name":"other_tool","arguments":{', '"arguments":', '"label":"x"', '}}', '}', '{', ',', ':',
    '"bbox_view":', '"bbox_2d":', '"bbox_crop":', '"bbox":',
  ),
  boxText,
  wholeCall,
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 12 }), // lone surrogates, control characters
);

/** Text shaped like model output: mostly format fragments, some noise. */
export const modelText = fc.array(fragment, { maxLength: 24 }).map((parts) => parts.join(''));
