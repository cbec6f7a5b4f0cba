/**
 * Image → model input. Pure JS on RGBA bytes so the browser and Node produce the same numbers
 * (canvas downscaling filters differ between Skia builds; an area average does not).
 */
import type { RgbaImage } from '../world/canvas';
import { CONV_WINDOW, type ModelConfig, convWindowDim } from './config';

/**
 * Letterboxes `image` into a side×side square (black padding) with an exact area average.
 * Returns RGB floats in [0, 1], row-major [side, side, 3].
 */
export function letterboxResize(image: RgbaImage, side: number): Float32Array {
  const { width, height, data } = image;
  const scale = side / Math.max(width, height); // output px per input px
  const outW = width * scale;
  const outH = height * scale;
  const offX = (side - outW) / 2;
  const offY = (side - outH) / 2;
  // Separable box filter: weights of each input column/row in each output column/row.
  const colW = coverage(width, side, offX, scale);
  const rowW = coverage(height, side, offY, scale);
  // 1. horizontal pass: [height, side, 3]
  const tmp = new Float32Array(height * side * 3);
  for (let y = 0; y < height; y++) {
    const rowBase = y * width * 4;
    for (const [ox, x0, ws] of colW) {
      let r = 0, g = 0, b = 0, wsum = 0;
      for (let i = 0; i < ws.length; i++) {
        const p = rowBase + (x0 + i) * 4;
        const wgt = ws[i];
        r += data[p] * wgt; g += data[p + 1] * wgt; b += data[p + 2] * wgt; wsum += wgt;
      }
      const t = (y * side + ox) * 3;
      const k = Math.min(1, wsum * scale) / wsum; // partially covered edge columns fade to black
      tmp[t] = r * k; tmp[t + 1] = g * k; tmp[t + 2] = b * k;
    }
  }
  // 2. vertical pass into the square; uncovered area stays black
  const out = new Float32Array(side * side * 3);
  for (const [oy, y0, ws] of rowW) {
    let wsum = 0;
    for (let i = 0; i < ws.length; i++) wsum += ws[i];
    for (const [ox] of colW) {
      let r = 0, g = 0, b = 0;
      for (let i = 0; i < ws.length; i++) {
        const t = ((y0 + i) * side + ox) * 3;
        r += tmp[t] * ws[i]; g += tmp[t + 1] * ws[i]; b += tmp[t + 2] * ws[i];
      }
      // partially covered edge pixels fade into the black border
      const o = (oy * side + ox) * 3;
      const norm = 1 / (wsum * 255);
      const cover = Math.min(1, wsum * scale);
      out[o] = r * norm * cover; out[o + 1] = g * norm * cover; out[o + 2] = b * norm * cover;
    }
  }
  return out;
}

/** For each output pixel that overlaps the image: [outIndex, firstInput, weights of inputs]. */
function coverage(inLen: number, outLen: number, offset: number, scale: number): [number, number, number[]][] {
  const result: [number, number, number[]][] = [];
  for (let o = 0; o < outLen; o++) {
    // output pixel o covers input interval [a, b)
    const a = Math.max(0, (o - offset) / scale);
    const b = Math.min(inLen, (o + 1 - offset) / scale);
    if (b <= a) continue;
    const first = Math.floor(a);
    const weights: number[] = [];
    for (let i = first; i < b; i++) weights.push(Math.min(i + 1, b) - Math.max(i, a));
    result.push([o, first, weights]);
  }
  return result;
}

/**
 * A [side, side, 3] view → patches [P, patchSize²·3] normalised to about [-1, 1], ordered so that
 * each merge×merge group of patches is contiguous (the encoder merges them by a reshape).
 */
export function patchify(view: Float32Array, config: ModelConfig): Float32Array {
  const { imageSize: side, patchSize: p, merge: m } = config;
  const grid = side / p;
  const pd = p * p * 3;
  const out = new Float32Array(grid * grid * pd);
  let patchIndex = 0;
  for (let gy = 0; gy < grid; gy += m) {
    for (let gx = 0; gx < grid; gx += m) {
      for (let sy = 0; sy < m; sy++) {
        for (let sx = 0; sx < m; sx++) {
          const py = (gy + sy) * p;
          const px = (gx + sx) * p;
          let o = patchIndex * pd;
          for (let y = 0; y < p; y++) {
            for (let x = 0; x < p; x++) {
              const i = ((py + y) * side + px + x) * 3;
              out[o++] = view[i] * 2 - 1;
              out[o++] = view[i + 1] * 2 - 1;
              out[o++] = view[i + 2] * 2 - 1;
            }
          }
          patchIndex++;
        }
      }
    }
  }
  return out;
}

/**
 * A [side, side, 3] view → the conv stem's first-layer input: for each pixel of the
 * (side/2)×(side/2) output grid, row-major, its 4×4 window at stride 2 with one pixel of zero
 * padding, normalised to about [-1, 1], [(side/2)², 48] (im2col: the model's first convolution
 * is then a matMul, which WASM can differentiate).
 */
export function convWindows(view: Float32Array, config: ModelConfig): Float32Array {
  const side = config.imageSize;
  const half = side / 2;
  const out = new Float32Array(half * half * convWindowDim);
  let o = 0;
  for (let oy = 0; oy < half; oy++) {
    for (let ox = 0; ox < half; ox++) {
      for (let ky = 0; ky < CONV_WINDOW; ky++) {
        const y = oy * 2 - 1 + ky;
        for (let kx = 0; kx < CONV_WINDOW; kx++) {
          const x = ox * 2 - 1 + kx;
          if (y < 0 || y >= side || x < 0 || x >= side) {
            o += 3; // zero padding (the array starts zeroed)
            continue;
          }
          const i = (y * side + x) * 3;
          out[o++] = view[i] * 2 - 1;
          out[o++] = view[i + 1] * 2 - 1;
          out[o++] = view[i + 2] * 2 - 1;
        }
      }
    }
  }
  return out;
}

/** A [side, side, 3] view → the model's input rows for its stem (see config.inputShape). */
export function viewToInput(view: Float32Array, config: ModelConfig): Float32Array {
  return config.stem === 'conv' ? convWindows(view, config) : patchify(view, config);
}

/** Image → the model's input for one image block. */
export function imageToInput(image: RgbaImage, config: ModelConfig): Float32Array {
  return viewToInput(letterboxResize(image, config.imageSize), config);
}
