// Learning-rate schedules: the one home of the `learningRate` option's forms, their checks and their
// values. A rate is a number, a schedule object (Keras's keras.optimizers.schedules: one record per
// type below, formula beside it) or a function (step, epoch) => rate. The optimizer evaluates it once
// per step at its own step counter (saved with the model, so a loaded network continues the schedule).
import { OptionError, describe } from './errors.js';
import { suggest } from './suggest.js';

/** Keras ExponentialDecay: initial·decayRate^(step/decaySteps); staircase: the exponent floored. */
export interface ExponentialDecay { type: 'exponential'; initial: number; decaySteps: number; decayRate: number; staircase?: boolean }
/**
 * Keras 3 CosineDecay with optional linear warm-up. `initial` is the rate the cosine starts from
 * (Keras's warmup_target, or initial_learning_rate without warm-up); `warmupInitial` is where the
 * warm-up starts (Keras's initial_learning_rate when warmup_target is set).
 */
export interface CosineDecay { type: 'cosine'; initial: number; decaySteps: number; alpha?: number; warmupSteps?: number; warmupInitial?: number }
/** Keras PiecewiseConstantDecay: values[0] while step ≤ boundaries[0], values[i] while step ≤ boundaries[i], the last value after. */
export interface PiecewiseConstantDecay { type: 'piecewise'; boundaries: readonly number[]; values: readonly number[] }
/** Keras InverseTimeDecay: initial / (1 + decayRate·step/decaySteps); staircase: step/decaySteps floored. */
export interface InverseTimeDecay { type: 'inverseTime'; initial: number; decaySteps: number; decayRate: number; staircase?: boolean }
/** A learning-rate schedule as plain JSON (saved with the model). */
export type LearningRateSchedule = ExponentialDecay | CosineDecay | PiecewiseConstantDecay | InverseTimeDecay;
/**
 * A schedule as a function: `step` is the number of optimizer steps taken before this one (0 for the
 * first), `epoch` the 0-based epoch of the running fit (0 outside fit). Called once per step; must
 * return a finite number > 0. A network with one cannot be saved.
 */
export type LearningRateFunction = (step: number, epoch: number) => number;
/** The `learningRate` option (top-level shorthand or the optimizer's). */
export type LearningRate = number | LearningRateSchedule | LearningRateFunction;
/** A schedule object with every default filled in (frozen). */
export type ResolvedSchedule = Required<ExponentialDecay> | Required<CosineDecay> | PiecewiseConstantDecay | Required<InverseTimeDecay>;
/** A resolved learning rate: a number, a schedule with its defaults, or the caller's function as given. */
export type ResolvedLearningRate = number | ResolvedSchedule | LearningRateFunction;

type Check = (v: unknown, name: string) => unknown;

const positive: Check = (v, name) => {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new OptionError(`${name}: expected a finite number > 0, got ${describe(v)}`);
  return v;
};
const nonNegative: Check = (v, name) => {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new OptionError(`${name}: expected a finite number ≥ 0, got ${describe(v)}`);
  return v;
};
const stepCount = (min: number): Check => (v, name) => {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) throw new OptionError(`${name}: expected an integer ≥ ${min}, got ${describe(v)}`);
  return v;
};
const unit: Check = (v, name) => {
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new OptionError(`${name}: expected a number in [0, 1], got ${describe(v)}`);
  return v;
};
const bool: Check = (v, name) => {
  if (typeof v !== 'boolean') throw new OptionError(`${name}: expected true or false, got ${describe(v)}`);
  return v;
};
const list = (each: Check, what: string): Check => (v, name) => {
  if (!Array.isArray(v)) throw new OptionError(`${name}: expected an array of ${what}, got ${describe(v)}`);
  return Object.freeze(v.map((x, i) => each(x, `${name}[${i}]`)));
};

/** One schedule type: its settings (check, default; no default: required), cross-setting checks and its rate at a step. */
interface ScheduleRecord<S extends ResolvedSchedule> {
  settings: Record<string, { check: Check; default?: unknown }>;
  check?(s: S, name: string): void;
  rate(s: S, step: number): number;
}

type Records = { [T in ResolvedSchedule['type']]: ScheduleRecord<Extract<ResolvedSchedule, { type: T }>> };

const SCHEDULES: Records = {
  // initial·decayRate^(step/decaySteps), the exponent floored when staircase
  exponential: {
    settings: { initial: { check: positive }, decaySteps: { check: stepCount(1) }, decayRate: { check: positive }, staircase: { check: bool, default: false } },
    rate: (s, step) => s.initial * s.decayRate ** (s.staircase ? Math.floor(step / s.decaySteps) : step / s.decaySteps),
  },
  // warm-up (step < warmupSteps): warmupInitial + (initial − warmupInitial)·step/warmupSteps;
  // then with d = min(step − warmupSteps, decaySteps): initial·((1 − alpha)·½(1 + cos(π·d/decaySteps)) + alpha)
  cosine: {
    settings: {
      initial: { check: positive }, decaySteps: { check: stepCount(1) }, alpha: { check: unit, default: 0 },
      warmupSteps: { check: stepCount(0), default: 0 }, warmupInitial: { check: nonNegative, default: 0 },
    },
    rate: (s, step) => {
      if (step < s.warmupSteps) return s.warmupInitial + (s.initial - s.warmupInitial) * (step / s.warmupSteps);
      const d = Math.min(step - s.warmupSteps, s.decaySteps);
      return s.initial * ((1 - s.alpha) * (0.5 * (1 + Math.cos(Math.PI * (d / s.decaySteps)))) + s.alpha);
    },
  },
  // values[i] for the first i with step ≤ boundaries[i]; values[boundaries.length] past the last
  piecewise: {
    settings: { boundaries: { check: list(stepCount(0), 'integers ≥ 0') }, values: { check: list(positive, 'finite numbers > 0') } },
    check: (s, name) => {
      s.boundaries.forEach((b, i) => {
        if (i > 0 && !(b > s.boundaries[i - 1]!)) throw new OptionError(`${name}.boundaries[${i}]: expected strictly increasing steps, got ${b} after ${s.boundaries[i - 1]}`);
      });
      if (s.values.length !== s.boundaries.length + 1) {
        throw new OptionError(`${name}.values: expected ${s.boundaries.length + 1} values (one more than the ${s.boundaries.length} boundaries), got an array of length ${s.values.length}`);
      }
    },
    rate: (s, step) => {
      let i = 0;
      while (i < s.boundaries.length && step > s.boundaries[i]!) i++;
      return s.values[i]!;
    },
  },
  // initial / (1 + decayRate·step/decaySteps), step/decaySteps floored when staircase
  inverseTime: {
    settings: { initial: { check: positive }, decaySteps: { check: stepCount(1) }, decayRate: { check: positive }, staircase: { check: bool, default: false } },
    rate: (s, step) => s.initial / (1 + s.decayRate * (s.staircase ? Math.floor(step / s.decaySteps) : step / s.decaySteps)),
  },
};

/** The schedule types, as the `type` of a schedule object takes them. */
export const SCHEDULE_TYPES = Object.keys(SCHEDULES) as ResolvedSchedule['type'][];

/** Keras's argument names, for "did you mean" (wasmlp's `initial` is the rate the decay starts from). */
const KERAS_NAMES: Record<string, string> = { initialLearningRate: 'initial', warmupTarget: 'initial' };

const EXAMPLE = "{ type: 'exponential', initial: 0.1, decaySteps: 1000, decayRate: 0.96 }";

/**
 * Checks a `learningRate` option (`name` is its path, e.g. 'options.optimizer.learningRate'): a
 * finite number > 0, a function (kept as given), or a schedule object, returned as a new frozen
 * object with its defaults filled in.
 */
export function resolveLearningRate(v: unknown, name: string): ResolvedLearningRate {
  if (typeof v === 'number') return positive(v, name) as number;
  if (typeof v === 'function') return v as LearningRateFunction;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) {
    throw new OptionError(`${name}: expected a finite number > 0, a schedule such as ${EXAMPLE} or a function (step, epoch) => rate, got ${describe(v)}`);
  }
  const o = v as Record<string, unknown>;
  const type = o.type;
  if (typeof type !== 'string' || !(SCHEDULE_TYPES as string[]).includes(type)) {
    // Keras's class names ('ExponentialDecay', 'PiecewiseConstantDecay') start with ours
    const hint = typeof type === 'string' ? suggest(type, SCHEDULE_TYPES) ?? SCHEDULE_TYPES.find((t) => type.toLowerCase().startsWith(t.toLowerCase())) : undefined;
    throw new OptionError(`${name}.type: expected one of ${SCHEDULE_TYPES.map((t) => `'${t}'`).join(', ')}, got ${describe(type)}${hint ? ` (did you mean '${hint}'?)` : ''}`);
  }
  const rec = SCHEDULES[type as ResolvedSchedule['type']] as unknown as ScheduleRecord<ResolvedSchedule>;
  const known = ['type', ...Object.keys(rec.settings)];
  for (const key of Object.keys(o)) {
    if (!known.includes(key)) {
      const hint = suggest(key, known) ?? KERAS_NAMES[key];
      throw new OptionError(`${name}.${key}: unknown setting for the '${type}' schedule${hint ? ` (did you mean '${hint}'?)` : ''}; it takes ${known.join(', ')}`);
    }
  }
  const s: Record<string, unknown> = { type };
  for (const [key, { check, default: dflt }] of Object.entries(rec.settings)) {
    s[key] = o[key] === undefined && dflt !== undefined ? dflt : check(o[key], `${name}.${key}`);
  }
  rec.check?.(s as unknown as ResolvedSchedule, name);
  return Object.freeze(s) as unknown as ResolvedSchedule;
}

/**
 * The rate of the step that comes after `step` steps, in the 0-based `epoch` of fit. A function's
 * value is checked: anything but a finite number > 0 is an OptionError naming the step. A schedule
 * object gives a finite rate ≥ 0 (cosine decays to alpha·initial, which may be 0), else the same error.
 */
export function learningRateAt(lr: ResolvedLearningRate, step: number, epoch: number): number {
  if (typeof lr === 'number') return lr;
  if (typeof lr === 'function') {
    const r = lr(step, epoch);
    if (typeof r !== 'number' || !Number.isFinite(r) || r <= 0) {
      throw new OptionError(`options.optimizer.learningRate: the schedule function returned ${describe(r)} for step ${step} (epoch ${epoch}); expected a finite number > 0`);
    }
    return r;
  }
  const r = (SCHEDULES[lr.type] as unknown as ScheduleRecord<ResolvedSchedule>).rate(lr, step);
  if (!Number.isFinite(r)) throw new OptionError(`options.optimizer.learningRate: the '${lr.type}' schedule gives ${describe(r)} at step ${step}; expected a finite rate`);
  return r;
}

/** A function schedule cannot be written to a model file: a typed error saying so (toJSON, save). */
export function assertSavable(lr: ResolvedLearningRate): void {
  if (typeof lr === 'function') {
    throw new OptionError(`options.optimizer.learningRate: a function schedule cannot be saved (toJSON, save); use a number or a schedule object (${SCHEDULE_TYPES.map((t) => `'${t}'`).join(', ')}) to save the network`);
  }
}

/** A short printable form: `0.01`, `cosine(initial 0.1, decaySteps 1000, alpha 0, warmupSteps 0, warmupInitial 0)`, `a function (step, epoch)`. */
export function describeLearningRate(lr: ResolvedLearningRate): string {
  if (typeof lr === 'number') return String(lr);
  if (typeof lr === 'function') return 'a function (step, epoch)';
  const { type, ...rest } = lr;
  return `${type}(${Object.entries(rest).map(([k, v]) => `${k} ${Array.isArray(v) ? `[${v.join(', ')}]` : v}`).join(', ')})`;
}
