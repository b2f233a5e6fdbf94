// Terminal output shared by the `wasmlp` CLI and the `npm start` demo: colours, number formatting,
// a loss curve (asciichart) and a confusion matrix; style detection, loss/metric formatting and the
// progress bar are the library's (src/progress.ts, also fit's `verbose`), re-exported here.
import { plot } from 'asciichart';
import { detectStyle, fmt, lossStr, ProgressBar, type Style } from '../internal.js';

export { detectStyle, fmt, lossStr, ProgressBar, type Style };

const CODES = { bold: [1, 22], dim: [2, 22], red: [31, 39], green: [32, 39], yellow: [33, 39], cyan: [36, 39] } as const;
export type Paint = (text: string) => string;

/** Colour helpers that return the text unchanged when colours are off. */
export function painter(style: Style): Record<keyof typeof CODES, Paint> {
  const make = ([on, off]: readonly [number, number]): Paint => (style.color ? (t) => `\x1b[${on}m${t}\x1b[${off}m` : (t) => t);
  return {
    bold: make(CODES.bold), dim: make(CODES.dim), red: make(CODES.red),
    green: make(CODES.green), yellow: make(CODES.yellow), cyan: make(CODES.cyan),
  };
}

// ************* numbers *************

/** `12345.6` → `12,346`. */
export function thousands(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A fraction as a percentage with 2 decimals: `0.98333` → `98.33%`. */
export function pct(f: number): string {
  return `${(f * 100).toFixed(2)}%`;
}

// ************* progress, charts, tables *************

/** Means of `values` in at most `width` equal buckets, so a long series fits a terminal line. */
export function downsample(values: readonly number[], width: number): number[] {
  if (values.length <= width) return [...values];
  const out: number[] = [];
  for (let b = 0; b < width; b++) {
    const lo = Math.floor((b * values.length) / width), hi = Math.floor(((b + 1) * values.length) / width);
    let s = 0;
    for (let i = lo; i < hi; i++) s += values[i]!;
    out.push(s / (hi - lo));
  }
  return out;
}

/** A tick on the x axis of `lossChart`: below point `at`, `label` ends there. */
export interface Mark { at: number; label: string }

/**
 * A line chart of `values` (asciichart), `height` rows, y labels with `digits` decimals; with
 * `marks`, an x axis below it with those ticks (e.g. the end of each epoch) and `axisName` at its left.
 */
export function lossChart(values: readonly number[], style: Style, opts: { height?: number; digits?: number; marks?: Mark[]; axisName?: string } = {}): string {
  const { height = 10, digits = 3, marks, axisName = '' } = opts;
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return '(no finite values to plot)';
  const w = Math.max(...finite.map((v) => v.toFixed(digits).length));
  const chart = plot(finite, {
    height, padding: ' '.repeat(w), format: (x: number) => x.toFixed(digits).padStart(w),
    ...(style.color ? { colors: ['\x1b[36m'] } : {}),
  });
  if (!marks || marks.length === 0) return chart;
  const first = chart.split('\n')[0]!;
  const start = Math.max(first.indexOf('┼'), first.indexOf('┤')) + 1;
  const axis = new Array<string>(finite.length).fill('─');
  const labels = new Array<string>(start + finite.length + 8).fill(' ');
  [...axisName.slice(0, Math.max(0, start - 2))].forEach((ch, i) => { labels[i] = ch; });
  for (const m of marks) {
    if (m.at < 0 || m.at >= finite.length) continue;
    axis[m.at] = '┴';
    const end = start + m.at;
    [...m.label].forEach((ch, i) => { labels[end - m.label.length + 1 + i] = ch; });
  }
  return `${chart}\n${' '.repeat(start - 1)}└${axis.join('')}\n${labels.join('').trimEnd()}`;
}

/**
 * A confusion matrix as text: rows are the true classes, columns the predicted ones; with colours
 * the diagonal is green and misclassifications red.
 */
export function confusionTable(labels: readonly string[], matrix: readonly (readonly number[])[], style: Style): string {
  const p = painter(style);
  const max = Math.max(1, ...matrix.flat());
  const w = Math.max(String(max).length, ...labels.map((l) => l.length)) + 2;
  const rowW = Math.max(...labels.map((l) => l.length));
  const lines = [' '.repeat(rowW + 2) + labels.map((l) => l.padStart(w)).join('')];
  matrix.forEach((row, i) => {
    const cells = row.map((v, j) => {
      const s = String(v).padStart(w);
      return v === 0 ? p.dim(s) : i === j ? p.green(s) : p.red(s);
    });
    lines.push(`${labels[i]!.padStart(rowW)}: ${cells.join('')}`);
  });
  return lines.join('\n');
}

/** counts[true][predicted] from two arrays of class indices. */
export function confusionMatrix(actual: ArrayLike<number>, predicted: ArrayLike<number>, classes: number): number[][] {
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < actual.length; i++) m[actual[i]!]![predicted[i]!]!++;
  return m;
}

export { argmaxRows } from '../internal.js';
