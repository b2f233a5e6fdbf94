// Dropout: in training, each unit is kept with probability 1 − rate and scaled by 1/(1 − rate)
// (inverted dropout, as Keras and tfjs), else zeroed; at inference the identity.
import { OptionError, describe } from '../errors.js';
import type { Backend } from '../wasm/kernels.js';
import type { ParamRef } from '../optim/index.js';
import { NO_INPUT_GRAD, applyInputGrad, type DropoutWeights, type InputGradEpilogue, type Layer, type Pass } from './layer.js';

/** `{ type: 'dropout', rate }` as written in a layer list. */
export interface DropoutSpec {
  type: 'dropout';
  /** Fraction of units zeroed in training, in [0, 1). */
  rate: number;
}

export const DROPOUT_KEYS = ['type', 'rate'] as const;

/** The spec validated (no defaults: the rate is required, as in Keras). */
export function resolveDropout(o: Record<string, unknown>, where: string): DropoutSpec {
  const rate = o.rate;
  if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) throw new OptionError(`${where}.rate: expected a number in [0, 1), got ${describe(rate)}`);
  return { type: 'dropout', rate };
}

/**
 * The masks come from a counter-based generator in wasm (assembly/dropout.ts): unit i of a batch
 * at optimizer step s is kept when the hash of (key, s, i) is ≥ rate. The key is drawn from the
 * network's seed, so a seeded fit is bit-reproducible, and a trainBatch uses the masks that
 * gradients() or trace(x, { training: true }) showed just before it.
 */
export class Dropout implements Layer {
  readonly type = 'dropout';
  readonly paramCount = 0;
  readonly stateCount = 0;
  readonly outSize: number;
  /** Batch buffers [capacity, size]: output, dE/d(output), the mask (0 or 1/(1 − rate)). */
  a = 0; dout = 0; mask = 0;

  constructor(private readonly be: Backend, readonly inSize: number, readonly rate: number, private readonly keyLo: number, private readonly keyHi: number) {
    this.outSize = inSize;
  }

  batchFloatsPerRow(): number { return 3 * this.outSize; }

  init(): void { /* no parameters */ }

  plan(rows: number): number[] {
    const old = [this.a, this.dout, this.mask].filter((p) => p !== 0);
    this.a = this.dout = this.mask = 0;
    if (rows === 0) return old;
    const arena = this.be.arena, n = rows * this.outSize, fresh: number[] = [];
    try {
      fresh.push(arena.alloc(n), arena.alloc(n), arena.alloc(n));
    } catch (e) {
      for (const p of fresh) arena.free(p);
      throw e;
    }
    [this.a, this.dout, this.mask] = fresh as [number, number, number];
    return old;
  }

  /** Training: y = x ⊙ mask with a fresh mask for `pass.step`; inference: y = x (copied). */
  forward(x: number, rows: number, pass: Pass): void {
    const n = rows * this.outSize;
    if (pass.training) this.be.kernels.dropout_forward_f32(this.a, this.mask, x, n, this.rate, this.keyLo, this.keyHi, pass.step >>> 0);
    else this.be.arena.u8.copyWithin(this.a, x, x + n * 4);
  }

  inputGradEpilogue(): InputGradEpilogue { return NO_INPUT_GRAD; }

  /** dx = dout ⊙ mask, then the layer below's δ. */
  backward(_x: number, rows: number, dx: number, prev: InputGradEpilogue | null): void {
    if (!dx) return;
    const n = rows * this.outSize;
    this.be.kernels.hadamard_f32(dx, this.dout, this.mask, n);
    applyInputGrad(this.be.kernels, prev, dx, n);
  }

  commit(): void { /* nothing staged */ }
  penalty(): number { return 0; }
  params(): ParamRef[] { return []; }
  state(): { ptr: number; length: number }[] { return []; }
  weights(): DropoutWeights { return { type: 'dropout' }; }

  dispose(): void {
    for (const p of this.plan(0)) this.be.arena.free(p);
  }
}
