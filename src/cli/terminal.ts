// Terminal output shared by the `wasmlp` CLI and the `npm start` demo: colour and TTY detection
// (NO_COLOR, TERM=dumb, piped stdout), number formatting, a progress bar that exists only on a
// terminal, a loss curve (asciichart) and a confusion matrix.
import { plot } from 'asciichart';
import { SingleBar } from 'cli-progress';

/** How to write to one stream. */
export interface Style {
  /** The stream is a terminal: progress bars and cursor movement are allowed. */
  tty: boolean;
  /** ANSI colours are allowed: a terminal, NO_COLOR unset or empty, TERM not 'dumb'. */
  color: boolean;
}

/** Style for `stream` (default stdout) under `env`: plain text when piped or when NO_COLOR is set (https://no-color.org). */
export function detectStyle(stream: { isTTY?: boolean } = process.stdout, env: NodeJS.ProcessEnv = process.env): Style {
  const tty = stream.isTTY === true && env.TERM !== 'dumb';
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  return { tty, color: tty && !noColor };
}

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

/** A number with 4 significant digits, without exponent for ordinary magnitudes. */
export function fmt(x: number): string {
  return Math.abs(x) >= 1e-3 && Math.abs(x) < 1e7 ? String(Number(x.toPrecision(4))) : x.toPrecision(4);
}

/** A loss: 4 decimals, or 3 significant digits when smaller than 0.001. */
export function lossStr(x: number): string {
  return x >= 1e-3 || x === 0 ? x.toFixed(4) : x.toPrecision(3);
}

/** A fraction as a percentage with 2 decimals: `0.98333` → `98.33%`. */
export function pct(f: number): string {
  return `${(f * 100).toFixed(2)}%`;
}

// ************* progress, charts, tables *************

/**
 * A progress bar on a terminal; on anything else (a pipe, a file, CI) it does nothing at all, so
 * piped output holds only the plain lines the caller prints.
 */
export class ProgressBar {
  private bar: SingleBar | null = null;
  private readonly style: Style;
  private readonly stream: NodeJS.WriteStream;
  private readonly format: string;

  /** `format` is cli-progress's, e.g. 'epoch {epoch} {bar} {percentage}% | loss {loss}'. */
  constructor(format: string, style: Style, stream: NodeJS.WriteStream = process.stdout) {
    this.style = style;
    this.stream = stream;
    this.format = format.replace('{bar}', style.color ? '\x1b[36m{bar}\x1b[39m' : '{bar}');
  }

  start(total: number, payload: Record<string, string | number>, value = 0): void {
    if (!this.style.tty) return;
    this.bar?.stop();
    this.bar = new SingleBar({
      format: this.format, stream: this.stream, barsize: 30, fps: 15, clearOnComplete: true,
      hideCursor: false, barCompleteChar: '█', barIncompleteChar: '░', etaBuffer: 50,
    });
    this.bar.start(total, value, payload);
  }

  update(value: number, payload: Record<string, string | number>): void {
    this.bar?.update(value, payload);
  }

  /** Removes the bar (the caller prints its summary line in its place). */
  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}

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
