/**
 * Draws a Scene with the Canvas2D abstraction only (OffscreenCanvas in the browser,
 * @napi-rs/canvas in Node). Deterministic: every random choice comes from the scene seed.
 */
import { context2d, GLYPH_FONT_FAMILY, type Canvas2D, type Context2D, type CreateCanvas } from './canvas';
import { GLYPH_HEIGHT_FRACTION } from './generate';
import { createRng, hashSeed, type Rng } from './rng';
import { COLOURS, type Mark, type Scene, type SceneObject, type Shape } from './types';

/** Cap height of DejaVu Sans Bold as a fraction of the font size (1493 / 2048 units). */
const CAP_HEIGHT_EM = 0.729;
/** Salt that separates the renderer's random stream from the generator's. */
const RENDER_SALT = 0x7e4d;

/** Widest glyph (advance width) per shape, as a fraction of the object's size. */
const GLYPH_MAX_WIDTH: Record<Shape, number> = {
  circle: 0.7,
  square: 0.66,
  hexagon: 0.7,
  diamond: 0.42,
  triangle: 0.4,
  star: 0.3,
};

const glyphFont = (capHeight: number) => `bold ${(capHeight / CAP_HEIGHT_EM).toFixed(2)}px ${GLYPH_FONT_FAMILY}`;

type Rgb = readonly [number, number, number];

const rgb = (c: Rgb, alpha = 1) =>
  alpha >= 1
    ? `rgb(${Math.round(c[0])}, ${Math.round(c[1])}, ${Math.round(c[2])})`
    : `rgba(${Math.round(c[0])}, ${Math.round(c[1])}, ${Math.round(c[2])}, ${alpha})`;

/** '#rrggbb' → [r, g, b] in 0..255. */
export function hexToRgb(hex: string): Rgb {
  const v = parseInt(hex.slice(1), 16);
  return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
}

const shade = (c: Rgb, k: number): Rgb => [c[0] * k, c[1] * k, c[2] * k];
const clampByte = (v: number) => Math.max(0, Math.min(255, v));
const offset = (c: Rgb, d: number): Rgb => [clampByte(c[0] + d), clampByte(c[1] + d), clampByte(c[2] + d)];

/** Relative luminance (sRGB approximation) in 0..1. */
function luminance(c: Rgb): number {
  const lin = (v: number) => {
    const s = v / 255;
    return s <= 0.04045 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
  };
  return 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]);
}

/** Black or white, whichever contrasts more with the object colour. */
export function glyphInk(colourHex: string): string {
  const l = luminance(hexToRgb(colourHex));
  // Contrast ratio against white (1.05 / (l + 0.05)) vs against black ((l + 0.05) / 0.05).
  return 1.05 / (l + 0.05) >= (l + 0.05) / 0.05 ? '#ffffff' : '#111111';
}

/** A muted base colour: a light-to-mid grey with a pale tint. */
function mutedBase(rng: Rng, lo = 150, hi = 228): Rgb {
  const g = rng.int(lo, hi);
  const t = 12;
  return [clampByte(g + rng.int(-t, t)), clampByte(g + rng.int(-t, t)), clampByte(g + rng.int(-t, t))];
}

/**
 * Grey noise overlay: random grey values in a (width/cell × height/cell) ImageData, scaled up
 * with drawImage (smooth → blobs, nearest → grain).
 */
function noiseLayer(
  ctx: Context2D,
  createCanvas: CreateCanvas,
  scene: Scene,
  rng: Rng,
  cell: number,
  alpha: number,
  smooth: boolean,
): void {
  const w = Math.max(1, Math.ceil(scene.width / cell));
  const h = Math.max(1, Math.ceil(scene.height / cell));
  const small = createCanvas(w, h);
  const sctx = context2d(small);
  const img = sctx.createImageData(w, h);
  const data = img.data;
  const a = Math.round(alpha * 255);
  for (let i = 0; i < data.length; i += 4) {
    const v = rng.next() < 0.5 ? 0 : 255;
    data[i] = v;
    data[i + 1] = v;
    data[i + 2] = v;
    data[i + 3] = Math.round(a * rng.next());
  }
  sctx.putImageData(img, 0, 0);
  ctx.save();
  ctx.imageSmoothingEnabled = smooth;
  if (smooth) ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(small, 0, 0, w, h, 0, 0, w * cell, h * cell);
  ctx.restore();
}

function drawBackground(ctx: Context2D, createCanvas: CreateCanvas, scene: Scene, rng: Rng): void {
  const { width: W, height: H } = scene;
  const long = Math.max(W, H);
  switch (scene.background) {
    case 'noise': {
      ctx.fillStyle = rgb(mutedBase(rng));
      ctx.fillRect(0, 0, W, H);
      noiseLayer(ctx, createCanvas, scene, rng, Math.max(8, long / rng.int(16, 40)), 0.35, true);
      noiseLayer(ctx, createCanvas, scene, rng, Math.max(3, long / rng.int(100, 200)), 0.25, true);
      noiseLayer(ctx, createCanvas, scene, rng, 2, 0.12, false);
      break;
    }
    case 'gradient': {
      const angle = rng.float(0, Math.PI * 2);
      const cx = W / 2;
      const cy = H / 2;
      const r = long / 2;
      const g = ctx.createLinearGradient(cx - Math.cos(angle) * r, cy - Math.sin(angle) * r, cx + Math.cos(angle) * r, cy + Math.sin(angle) * r);
      const stops = rng.int(2, 3);
      for (let i = 0; i < stops; i++) g.addColorStop(i / (stops - 1), rgb(mutedBase(rng, 120, 235)));
      ctx.fillStyle = g;
      ctx.fillRect(0, 0, W, H);
      noiseLayer(ctx, createCanvas, scene, rng, Math.max(6, long / rng.int(30, 80)), 0.15, true);
      noiseLayer(ctx, createCanvas, scene, rng, 2, 0.1, false);
      break;
    }
    case 'stripes': {
      const base = mutedBase(rng);
      const other = offset(base, rng.chance(0.5) ? rng.int(14, 32) : -rng.int(14, 32));
      ctx.fillStyle = rgb(base);
      ctx.fillRect(0, 0, W, H);
      ctx.save();
      ctx.translate(W / 2, H / 2);
      ctx.rotate(rng.float(0, Math.PI));
      const diag = Math.hypot(W, H) / 2 + 4;
      const period = rng.float(long / 60, long / 12);
      const duty = rng.float(0.25, 0.6);
      ctx.fillStyle = rgb(other);
      for (let x = -diag; x < diag; x += period) {
        ctx.fillRect(x, -diag, period * duty, 2 * diag);
      }
      ctx.restore();
      noiseLayer(ctx, createCanvas, scene, rng, Math.max(6, long / rng.int(30, 80)), 0.15, true);
      noiseLayer(ctx, createCanvas, scene, rng, 2, 0.1, false);
      break;
    }
    case 'paper': {
      const g = rng.int(214, 240);
      ctx.fillStyle = rgb([g, clampByte(g - rng.int(0, 6)), clampByte(g - rng.int(6, 18))]);
      ctx.fillRect(0, 0, W, H);
      noiseLayer(ctx, createCanvas, scene, rng, Math.max(8, long / rng.int(10, 24)), 0.1, true);
      noiseLayer(ctx, createCanvas, scene, rng, 2, 0.12, false);
      // Fibres: short, thin, faint strokes.
      const fibres = Math.round((W * H) / 12000);
      ctx.lineWidth = 1;
      ctx.lineCap = 'round';
      for (let i = 0; i < fibres; i++) {
        const x = rng.float(0, W);
        const y = rng.float(0, H);
        const a = rng.float(0, Math.PI * 2);
        const len = rng.float(4, 24);
        ctx.strokeStyle = rgb(offset([g, g, g], -rng.int(15, 45)), 0.35);
        ctx.beginPath();
        ctx.moveTo(x, y);
        ctx.quadraticCurveTo(x + Math.cos(a + 0.6) * len * 0.5, y + Math.sin(a + 0.6) * len * 0.5, x + Math.cos(a) * len, y + Math.sin(a) * len);
        ctx.stroke();
      }
      break;
    }
    case 'tiles': {
      const base = mutedBase(rng);
      const tile = Math.max(16, long / rng.int(6, 22));
      const grout = Math.max(1, tile * rng.float(0.03, 0.08));
      ctx.fillStyle = rgb(offset(base, -rng.int(25, 50)));
      ctx.fillRect(0, 0, W, H);
      const stagger = rng.chance(0.5);
      for (let row = 0, y = 0; y < H; row++, y += tile) {
        const shift = stagger && row % 2 === 1 ? -tile / 2 : 0;
        for (let x = shift; x < W; x += tile) {
          ctx.fillStyle = rgb(offset(base, rng.int(-12, 12)));
          ctx.fillRect(x + grout / 2, y + grout / 2, tile - grout, tile - grout);
        }
      }
      noiseLayer(ctx, createCanvas, scene, rng, Math.max(6, long / rng.int(40, 90)), 0.15, true);
      noiseLayer(ctx, createCanvas, scene, rng, 2, 0.1, false);
      break;
    }
  }
}

function drawMark(ctx: Context2D, mark: Mark): void {
  const colour = rgb([mark.grey, mark.grey, mark.grey]);
  const p = mark.points;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  switch (mark.kind) {
    case 'line': {
      ctx.strokeStyle = colour;
      ctx.lineWidth = mark.width;
      ctx.beginPath();
      ctx.moveTo(p[0]!, p[1]!);
      for (let i = 2; i + 1 < p.length; i += 2) ctx.lineTo(p[i]!, p[i + 1]!);
      ctx.stroke();
      break;
    }
    case 'dot': {
      ctx.fillStyle = colour;
      ctx.beginPath();
      ctx.arc(p[0]!, p[1]!, p[2]!, 0, Math.PI * 2);
      ctx.fill();
      break;
    }
    case 'arc': {
      ctx.strokeStyle = colour;
      ctx.lineWidth = mark.width;
      ctx.beginPath();
      ctx.arc(p[0]!, p[1]!, p[2]!, p[3]!, p[4]!);
      ctx.stroke();
      break;
    }
  }
}

/** Traces the object's outline as a path centred on the origin (inside a circle of radius r). */
function tracePath(ctx: Context2D, obj: SceneObject, r: number): void {
  ctx.beginPath();
  const polygon = (n: number, radius: (i: number) => number, start: number) => {
    for (let i = 0; i < n; i++) {
      const a = start + (i * Math.PI * 2) / n;
      const rr = radius(i);
      if (i === 0) ctx.moveTo(Math.cos(a) * rr, Math.sin(a) * rr);
      else ctx.lineTo(Math.cos(a) * rr, Math.sin(a) * rr);
    }
    ctx.closePath();
  };
  switch (obj.shape) {
    case 'circle':
      ctx.arc(0, 0, r, 0, Math.PI * 2);
      break;
    case 'square': {
      // As large as fits in the bounding square at this tilt (|rotation| ≤ ~20°).
      const t = Math.abs(obj.rotation) % (Math.PI / 2);
      const half = r / (Math.cos(t) + Math.sin(t));
      ctx.moveTo(-half, -half);
      ctx.lineTo(half, -half);
      ctx.lineTo(half, half);
      ctx.lineTo(-half, half);
      ctx.closePath();
      break;
    }
    case 'diamond':
      ctx.moveTo(0, -r);
      ctx.lineTo(r * 0.85, 0);
      ctx.lineTo(0, r);
      ctx.lineTo(-r * 0.85, 0);
      ctx.closePath();
      break;
    case 'triangle':
      polygon(3, () => r, -Math.PI / 2);
      break;
    case 'star':
      polygon(10, (i) => (i % 2 === 0 ? r : r * 0.45), -Math.PI / 2);
      break;
    case 'hexagon':
      polygon(6, () => r, 0);
      break;
  }
}

function drawObject(ctx: Context2D, obj: SceneObject): void {
  const fill = COLOURS[obj.colour];
  const outlineWidth = Math.max(1, obj.size * 0.035);
  // The stroke stays inside the bounding square: the path is inset by half the stroke width.
  const r = Math.max(1, obj.size / 2 - outlineWidth / 2);
  ctx.save();
  ctx.translate(obj.cx, obj.cy);
  ctx.rotate(obj.rotation);
  tracePath(ctx, obj, r);
  ctx.fillStyle = fill;
  ctx.fill();
  ctx.lineJoin = 'miter';
  ctx.strokeStyle = rgb(shade(hexToRgb(fill), 0.55));
  ctx.lineWidth = outlineWidth;
  ctx.stroke();
  ctx.restore();
  if (obj.glyph) {
    // Glyphs stay upright whatever the object's rotation.
    // Diamonds narrow towards their tips, so their glyph is a little shorter.
    let cap = obj.size * GLYPH_HEIGHT_FRACTION * (obj.shape === 'diamond' ? 0.85 : 1);
    ctx.font = glyphFont(cap);
    // Wide glyphs (M, W…) shrink so that they stay inside the shape.
    const maxWidth = obj.size * GLYPH_MAX_WIDTH[obj.shape];
    const width = ctx.measureText(obj.glyph).width;
    if (width > maxWidth) {
      cap *= maxWidth / width;
      ctx.font = glyphFont(cap);
    }
    ctx.fillStyle = glyphInk(fill);
    ctx.textAlign = 'center';
    ctx.textBaseline = 'alphabetic';
    ctx.fillText(obj.glyph, obj.cx, obj.cy + cap / 2);
  }
}

/** Renders the scene at full resolution onto a new canvas from `createCanvas`. */
export function renderScene(scene: Scene, createCanvas: CreateCanvas): Canvas2D {
  const canvas = createCanvas(scene.width, scene.height);
  const ctx = context2d(canvas);
  const rng = createRng(hashSeed(scene.seed, RENDER_SALT));
  ctx.save();
  drawBackground(ctx, createCanvas, scene, rng);
  ctx.restore();
  ctx.save();
  for (const mark of scene.marks) drawMark(ctx, mark);
  ctx.restore();
  for (const obj of scene.objects) drawObject(ctx, obj);
  return canvas;
}
