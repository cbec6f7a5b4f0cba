/** Per-tensor weight quantization: IEEE half floats, and tfjs-converter-style affine uint8. */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → IEEE 754 binary16 bits, round to nearest even (subnormals kept, overflow → ±Infinity). */
export function float32ToFloat16Bits(x: number): number {
  f32[0] = x;
  const bits = u32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exp = (bits >>> 23) & 0xff;
  const mant = bits & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Half subnormal (or zero): value / 2^-24 = full mantissa >> (14 - e).
    if (e < -10) return sign;
    const full = mant | 0x800000;
    const shift = 14 - e;
    const rem = full & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    let h = full >>> shift;
    if (rem > mid || (rem === mid && (h & 1) === 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1) === 1)) h++; // a carry may roll into the exponent (up to Infinity): correct
  return sign | h;
}

/** IEEE binary16 bits → number. */
export function float16BitsToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 0x1f) return m !== 0 ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

/** Whether half bits encode ±Infinity or NaN. */
export const isFloat16NonFinite = (h: number) => (h & 0x7c00) === 0x7c00;

/** Encodes float32 values as half floats. @returns index of the first value that overflows to ±Infinity, or -1. */
export function encodeFloat16(values: Float32Array, out: Uint16Array): number {
  let overflow = -1;
  for (let i = 0; i < values.length; i++) {
    const h = float32ToFloat16Bits(values[i]!);
    if (overflow < 0 && isFloat16NonFinite(h)) overflow = i;
    out[i] = h;
  }
  return overflow;
}

export interface AffineUint8 {
  q: Uint8Array;
  /** Dequantize: value = q · scale + min. */
  scale: number;
  min: number;
}

/**
 * Affine per-tensor uint8 quantization as tfjs-converter does it (quantization.py): scale = (max − min)/255;
 * when the range covers zero it is nudged so that 0 is exactly representable; a constant tensor stores all zeros
 * with scale 1, min = the constant. Max abs error: scale/2 (plus float32 rounding of the dequantized value).
 * Values must be finite.
 */
export function quantizeUint8(values: Float32Array): AffineUint8 {
  const q = new Uint8Array(values.length);
  if (values.length === 0) return { q, scale: 1, min: 0 };
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === hi) return { q, scale: 1, min: lo };
  const scale = (hi - lo) / 255;
  let min = lo;
  let max = hi;
  if (lo <= 0 && hi >= 0) {
    const zeroPoint = Math.round(-lo / scale);
    min = -zeroPoint * scale;
    max = 255 * scale + min;
  }
  for (let i = 0; i < values.length; i++) {
    const v = Math.min(max, Math.max(min, values[i]!));
    q[i] = Math.min(255, Math.max(0, Math.round((v - min) / scale)));
  }
  return { q, scale, min };
}
