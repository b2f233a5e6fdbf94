// fit's copies of the training state: the divergence guard (option rollback) and the best epoch's
// copy (earlyStopping.restoreBestWeights). Each is one arena block allocated once per fit.
import type { Optimizer } from './optim/index.js';
import type { Rng } from './random.js';
import type { Backend } from './wasm/kernels.js';

/** A block of floats in wasm memory, by byte address. */
export interface Block { ptr: number; length: number }

/**
 * A copy of everything a training step changes: the given blocks (the network passes its
 * parameters, optimizer state and layer state, i.e. moving statistics, in the model file's order),
 * the optimizer's step count and the shuffle state. One arena block, allocated here and freed by
 * dispose(); save() and restore() only copy bytes.
 */
export class StateCopy {
  private readonly spans: { ptr: number; bytes: number; at: number }[] = [];
  private readonly backup: number;
  private iterations = 0;
  private rateScale = 1;
  private shuffleState = 0;
  /** save() was called at least once. */
  saved = false;

  constructor(private readonly be: Backend, blocks: readonly Block[], private readonly optimizer: Optimizer, private readonly rng: Rng) {
    this.backup = be.arena.alloc(blocks.reduce((s, b) => s + b.length, 0));
    let at = this.backup;
    for (const b of blocks) { this.spans.push({ ptr: b.ptr, bytes: b.length * 4, at }); at += b.length * 4; }
  }

  save(): void {
    const u8 = this.be.arena.u8;
    for (const s of this.spans) u8.copyWithin(s.at, s.ptr, s.ptr + s.bytes);
    this.iterations = this.optimizer.iterations;
    this.rateScale = this.optimizer.rateScale;
    this.shuffleState = this.rng.state;
    this.saved = true;
  }

  /** Copies the last save() back; false (nothing changed) when there was none. */
  restore(): boolean {
    if (!this.saved) return false;
    const u8 = this.be.arena.u8;
    for (const s of this.spans) u8.copyWithin(s.ptr, s.at, s.at + s.bytes);
    this.optimizer.iterations = this.iterations;
    this.optimizer.rateScale = this.rateScale;
    this.rng.state = this.shuffleState;
    return true;
  }

  dispose(): void { this.be.arena.free(this.backup); }
}

/**
 * fit's divergence guard: a StateCopy taken before every step. With `keep` false (fit's
 * `rollback: false`) nothing is allocated or copied: it only records that a step was taken and
 * scans the weights.
 */
export class Rollback {
  private readonly copy: StateCopy | null;
  private readonly params: readonly Block[];
  private readonly startShuffle: number;
  /** A step was taken in this fit. */
  stepped = false;

  /** `blocks` as for StateCopy; its first `paramCount` are the trainable parameters (scanned by nonFinite). */
  constructor(private readonly be: Backend, blocks: readonly Block[], paramCount: number, optimizer: Optimizer, private readonly rng: Rng, keep = true) {
    this.startShuffle = rng.state;
    this.params = blocks.slice(0, paramCount);
    this.copy = keep ? new StateCopy(be, blocks, optimizer, rng) : null;
  }

  /** Copies the state into the backup (called before each step). */
  save(): void {
    this.stepped = true;
    this.copy?.save();
  }

  /** Copies the backup back; false when nothing was saved yet (no step was taken: only the shuffle state is reset) or nothing is kept. */
  restore(): boolean {
    if (this.copy?.saved) return this.copy.restore();
    if (this.copy || !this.stepped) this.rng.state = this.startShuffle;
    return false;
  }

  /** The first non-finite parameter, if any (scanned in wasm). */
  nonFinite(): { block: number; index: number; value: number } | null {
    const k = this.be.kernels;
    for (let j = 0; j < this.params.length; j++) {
      const p = this.params[j]!;
      const i = k.nonfinite_index_f32(p.ptr, p.length);
      if (i >= 0) return { block: j, index: i, value: this.be.arena.f32[(p.ptr >>> 2) + i]! };
    }
    return null;
  }

  dispose(): void { this.copy?.dispose(); }
}
