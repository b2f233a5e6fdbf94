// Terminal output the library itself writes (fit's `verbose`) and the command line shares: TTY and
// colour detection (NO_COLOR, TERM=dumb, piped stdout), loss and metric formatting, and a progress
// bar that exists only on a terminal. src/cli/terminal.ts re-exports these and adds the CLI's charts
// and tables; the library must not import src/cli (the CommonJS build leaves it out).
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

/** A number with 4 significant digits, without exponent for ordinary magnitudes. */
export function fmt(x: number): string {
  return Math.abs(x) >= 1e-3 && Math.abs(x) < 1e7 ? String(Number(x.toPrecision(4))) : x.toPrecision(4);
}

/** A loss: 4 decimals, or 3 significant digits when smaller than 0.001. */
export function lossStr(x: number): string {
  return x >= 1e-3 || x === 0 ? x.toFixed(4) : x.toPrecision(3);
}

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
