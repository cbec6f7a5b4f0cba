import type { PixelBox } from './boxes';

/** The palette, listed around the hue ring (the oracle's decoy misses take the neighbours on it). */
export const COLOURS = {
  red: '#e32222',
  orange: '#ff8c00',
  yellow: '#ffe11a',
  green: '#1fa831',
  cyan: '#19d3e6',
  blue: '#1f4fe0',
  purple: '#8c2be2',
  pink: '#ff5fb4',
} as const;
export type Colour = keyof typeof COLOURS;
export const COLOUR_NAMES = Object.keys(COLOURS) as Colour[];

export const SHAPES = ['circle', 'square', 'triangle', 'diamond', 'star', 'hexagon'] as const;
export type Shape = (typeof SHAPES)[number];

/** Glyphs printed on objects: digits and letters that stay distinct at small sizes. */
export const GLYPHS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'A', 'E', 'F', 'H', 'K', 'L', 'M', 'R', 'T', 'X'] as const;
export type Glyph = (typeof GLYPHS)[number];

export const BACKGROUND_STYLES = ['noise', 'gradient', 'stripes', 'paper', 'tiles'] as const;
export type BackgroundStyle = (typeof BACKGROUND_STYLES)[number];

export const FAMILIES = ['colour', 'glyph', 'shape', 'relation', 'count'] as const;
export type Family = (typeof FAMILIES)[number];

export interface SceneObject {
  readonly id: number;
  readonly shape: Shape;
  readonly colour: Colour;
  /** Centre in pixels of the original image. */
  readonly cx: number;
  readonly cy: number;
  /** Side of the object's bounding square in pixels. */
  readonly size: number;
  /** Rotation in radians (squares, triangles, stars, hexagons). */
  readonly rotation: number;
  readonly glyph: Glyph | null;
}

/** A distractor mark: background clutter that is not an object (lines, dots, scribbles). */
export interface Mark {
  readonly kind: 'line' | 'dot' | 'arc';
  readonly points: readonly number[];
  readonly width: number;
  readonly grey: number;
}

export interface Scene {
  readonly seed: number;
  readonly width: number;
  readonly height: number;
  readonly background: BackgroundStyle;
  readonly objects: readonly SceneObject[];
  readonly marks: readonly Mark[];
}

export interface Sample {
  /** Stable id: `${seed}`. Same seed → same scene, question and pixels. */
  readonly id: string;
  readonly seed: number;
  readonly scene: Scene;
  readonly family: Family;
  readonly question: string;
  /** Noun phrase naming the target(s) as the question does, e.g. "the red object". */
  readonly subject: string;
  /** Canonical short answer (lower-case word, digit/letter, or number). */
  readonly answer: string;
  /** Ids of the objects the question is about. */
  readonly targetIds: readonly number[];
  /** Boxes of the targets in original pixels. */
  readonly targets: readonly PixelBox[];
  /** Whether the answer can be read from the model's global view (no zoom needed). */
  readonly resolvable: boolean;
}

export interface WorldOptions {
  /** Restrict to these families (default: all). */
  readonly families?: readonly Family[];
  /** Restrict background styles (used to hold a style out of training). */
  readonly backgrounds?: readonly BackgroundStyle[];
  /** 0 = easy (small scenes, few objects, big targets) … 1 = hard. Default 0.5. */
  readonly difficulty?: number;
  /** Range of target object sizes in px (used to hold a size range out of training). */
  readonly targetSize?: readonly [number, number];
  /**
   * Count scenes only: the chance that each counted object after the first is placed beside an
   * earlier one, so that scan regions holding two or three targets are common (training curriculum;
   * default 0, the evaluation world).
   */
  readonly countCluster?: number;
  /**
   * Count scenes only: the chance that each counted object is placed with its centre within 1 view
   * px of a view scan-area border, where a count's scan most often places an object in the wrong
   * area (training curriculum; default 0, the evaluation world).
   */
  readonly countBorder?: number;
}
