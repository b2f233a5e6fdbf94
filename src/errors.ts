/**
 * Every error wasmlp throws on bad input is a `WasmlpError`. Subclasses say what kind of
 * problem it was; messages name the argument, what was expected and what was given.
 */
export class WasmlpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** An array or matrix has the wrong length, row count or row width. */
export class ShapeError extends WasmlpError {}

/** A value is NaN or ±Infinity where a finite number is required. */
export class NonFiniteError extends WasmlpError {}

/** A value has the wrong JavaScript type (a string where a number belongs, null, …). */
export class ArgumentTypeError extends WasmlpError {}

/** An option is unknown, or its value is outside what it accepts. */
export class OptionError extends WasmlpError {}

/** A value is of the right type and shape but outside the accepted domain (e.g. a target for cross-entropy that is not a probability distribution). */
export class DomainError extends WasmlpError {}

/** The request needs more memory than wasm32 can address (4 GiB), or the engine refused to grow. */
export class OutOfMemoryError extends WasmlpError {}

/** A saved model (JSON object or file) is malformed, truncated, corrupted, of an unknown version, or hostile. */
export class FormatError extends WasmlpError {}

/**
 * `fit` stopped because the loss (or the weights) became NaN or ±Infinity. `epoch` (1-based) and
 * `batch` (0-based, as in onBatchEnd) say where it was seen; the weights and optimizer state were
 * rolled back to those of the last step whose loss was finite (unless fit had `rollback: false`:
 * then they are those the diverging step left).
 */
export class DivergenceError extends NonFiniteError {
  constructor(message: string, readonly epoch: number, readonly batch: number) {
    super(message);
  }
}

/** A file could not be read or written (missing, a folder, no permission); `code` is Node's (ENOENT, EACCES, …). */
export class FileError extends WasmlpError {
  constructor(message: string, readonly code?: string) {
    super(message);
  }
}

/**
 * A training call on a network that is already training: a second `fit`, `trainBatch` or
 * `setWeights` while a `fit` of it is running (brain facade: `train`, `trainAsync` or `fromJSON`
 * while a `trainAsync` runs). Await the first one.
 */
export class BusyError extends WasmlpError {}

/** The network was disposed and can no longer be used. */
export class DisposedError extends WasmlpError {}

/** Short printable form of any value for error messages. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'function') return 'a function';
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name} of length ${(v as unknown as { length: number }).length}`;
  if (typeof v === 'object') return `an object (${(v as object).constructor?.name ?? 'Object'})`;
  return String(v);
}
