// fit's divergence guard (see Network.fit, option rollback).
import type { Optimizer } from './optim/index.js';
import type { Rng } from './random.js';
import type { Backend } from './wasm/kernels.js';

/**
 * fit's divergence guard: one arena block, allocated once per fit, into which every parameter,
 * optimizer-state and layer-state block (moving statistics; and the optimizer's step count and
 * the shuffle state) is copied before
 * each step. With `keep` false (fit's `rollback: false`) nothing is allocated or copied: it only
 * records that a step was taken and scans the weights.
 */
export class Rollback {
  private readonly spans: { ptr: number; bytes: number; at: number }[] = [];
  private readonly params: { ptr: number; length: number }[];
  private readonly backup: number = 0;
  private iterations = 0;
  private shuffleState: number;
  private saved = false;
  /** A step was taken in this fit. */
  stepped = false;

  constructor(private readonly be: Backend, params: readonly { param: number; length: number }[], state: readonly { ptr: number; length: number }[],
    private readonly optimizer: Optimizer, private readonly rng: Rng, private readonly keep = true) {
    this.shuffleState = rng.state;
    this.params = params.map((p) => ({ ptr: p.param, length: p.length }));
    if (!keep) return;
    const blocks = [...this.params, ...optimizer.state().flat(), ...state];
    this.backup = be.arena.alloc(blocks.reduce((s, b) => s + b.length, 0));
    let at = this.backup;
    for (const b of blocks) { this.spans.push({ ptr: b.ptr, bytes: b.length * 4, at }); at += b.length * 4; }
  }

  /** Copies the parameters and optimizer state into the backup (called before each step). */
  save(): void {
    this.stepped = true;
    if (!this.keep) return;
    const u8 = this.be.arena.u8;
    for (const s of this.spans) u8.copyWithin(s.at, s.ptr, s.ptr + s.bytes);
    this.iterations = this.optimizer.iterations;
    this.shuffleState = this.rng.state;
    this.saved = true;
  }

  /** Copies the backup back; false when nothing was saved yet (no step was taken: only the shuffle state is reset) or nothing is kept. */
  restore(): boolean {
    if (!this.keep) { if (!this.stepped) this.rng.state = this.shuffleState; return false; }
    this.rng.state = this.shuffleState;
    if (!this.saved) return false;
    const u8 = this.be.arena.u8;
    for (const s of this.spans) u8.copyWithin(s.ptr, s.at, s.at + s.bytes);
    this.optimizer.iterations = this.iterations;
    return true;
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

  dispose(): void { if (this.keep) this.be.arena.free(this.backup); }
}

