/** Seeded PRNG (mulberry32): same seed, same sequence, on every platform. */
export class Rng {
  private state_: number;
  constructor(seed: number) {
    this.state_ = ((seed >>> 0) ^ 0x9e3779b9) >>> 0;
  }
  /** The generator's whole state (a uint32): restoring it continues the same sequence. */
  get state(): number { return this.state_; }
  set state(v: number) { this.state_ = v >>> 0; }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state_ = (this.state_ + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Uniform in [-limit, limit). */
  uniform(limit: number): number {
    return (this.next() * 2 - 1) * limit;
  }
}

/** Fisher–Yates shuffle of `a` in place with `rng`. */
export function shuffleInPlace(a: Uint32Array, rng: Rng): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const t = a[i]!; a[i] = a[j]!; a[j] = t;
  }
}
