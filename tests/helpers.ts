// Shared helpers for the kernel tests: a seeded PRNG, arena access, poisoning and closeness checks.
import { expect } from 'vitest';
import { createBackend, relaxedSimdSupported, type Backend, type SimdVariant } from '../src/wasm/kernels.js';

/** The lengths every elementwise / activation kernel is swept over (tile edges of 4 and a long odd one). */
export const SIZES = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33, 100, 1001] as const;

/** Written into memory a kernel must not touch; checked bit-for-bit afterwards. */
export const SENTINEL = 1234.5;

/** The SIMD builds this engine can run. Baseline always; relaxed only when the engine validates it. */
export function simdVariants(): SimdVariant[] {
  return relaxedSimdSupported() ? ['baseline', 'relaxed'] : ['baseline'];
}

/** mulberry32, independent of src/random.ts so a bug there cannot hide in the tests. */
export class TestRng {
  private s: number;
  constructor(seed: number) { this.s = seed >>> 0; }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number { return lo + (hi - lo) * this.next(); }
  /** Integer in [0, n). */
  int(n: number): number { return Math.floor(this.next() * n); }
}

/** Fills dst with float32-rounded uniform values in [lo, hi). */
export function fillUniform(dst: Float32Array, rng: TestRng, lo = -1, hi = 1): void {
  for (let i = 0; i < dst.length; i++) dst[i] = rng.uniform(lo, hi);
}

/** A float64 copy of (float32) values: what the references compute from. */
export function toF64(src: ArrayLike<number>): Float64Array {
  return Float64Array.from(src as ArrayLike<number>);
}

/** A backend plus typed accessors that never outlive an allocation (arena.f32 is rebuilt on growth). */
export class Mem {
  readonly be: Backend;
  constructor(variant: SimdVariant) { this.be = createBackend(variant); }
  get k() { return this.be.kernels; }
  alloc(floats: number): number { return this.be.arena.alloc(floats); }
  /** Float32 view of `floats` values starting at byte address `ptr` (refetched on every call). */
  f32(ptr: number, floats: number): Float32Array { return this.be.arena.view(ptr, floats); }
  /** Uint32 view (for NaN payloads / exact bit checks). */
  u32(ptr: number, floats: number): Uint32Array {
    return new Uint32Array(this.be.arena.memory.buffer, ptr, floats);
  }
}

export interface Tol { atol: number; rtol: number }

/**
 * Mixed-tolerance comparison: |actual − expected| ≤ max(atol, rtol·|expected|) per element.
 * An expected NaN requires an actual NaN; an expected ±Infinity requires the same infinity; a
 * non-finite actual where a finite value is expected always fails (so NaN-poisoned, unwritten
 * outputs fail). Reports the first failing index and values, and how many failed.
 */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tol, label: string): void {
  if (actual.length !== expected.length) {
    expect.fail(`${label}: length ${actual.length} != expected ${expected.length}`);
  }
  let bad = 0, first = -1, worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    let ok: boolean;
    if (Number.isNaN(e)) ok = Number.isNaN(a);
    else if (!Number.isFinite(e)) ok = a === e;
    else ok = Number.isFinite(a) && Math.abs(a - e) <= Math.max(tol.atol, tol.rtol * Math.abs(e));
    if (!ok) {
      if (first < 0) first = i;
      bad++;
      const d = Math.abs(a - e);
      if (!(d <= worst)) worst = d;
    }
  }
  if (bad > 0) {
    expect.fail(`${label}: ${bad}/${expected.length} elements out of tolerance (atol ${tol.atol}, rtol ${tol.rtol}); ` +
      `first at [${first}]: actual ${actual[first]} expected ${expected[first]}; worst |diff| ${worst}`);
  }
}

/** Scalar version of assertClose. */
export function assertCloseScalar(actual: number, expected: number, tol: Tol, label: string): void {
  assertClose([actual], [expected], tol, label);
}

/** Every element of view[from, to) must still hold `value` (bit-exact, NaN matches NaN). */
export function assertUntouched(view: ArrayLike<number>, from: number, to: number, value: number, label: string): void {
  for (let i = from; i < to; i++) {
    if (!Object.is(view[i], value)) {
      expect.fail(`${label}: element [${i}] was overwritten: ${view[i]} (expected untouched ${value})`);
    }
  }
}

/** Floats either side of a framed vector that hold NaN (inputs) or the sentinel (outputs). */
export const MARGIN = 4;

/**
 * Writes `vals` (rounded to float32) at byte address base + 4·(MARGIN + off), with NaN in the
 * MARGIN floats either side, so a kernel that reads past either end of its input (and uses what it
 * read) produces NaN. Needs MARGIN·2 + off + vals.length ≤ cap. Returns the address and the float32
 * values as float64 (what the references should be fed).
 */
export function frameInput(mem: Mem, base: number, cap: number, off: number, vals: ArrayLike<number>): [number, Float64Array] {
  const n = vals.length;
  expect(2 * MARGIN + off + n).toBeLessThanOrEqual(cap);
  const v = mem.f32(base, 2 * MARGIN + off + n).fill(NaN);
  v.set(vals as ArrayLike<number>, MARGIN + off);
  return [base + (MARGIN + off) * 4, toF64(v.subarray(MARGIN + off, MARGIN + off + n))];
}

/**
 * An output of n floats at byte address base + 4·(MARGIN + off): `poison` inside (NaN by
 * default, so an element the kernel leaves unwritten fails), SENTINEL in the MARGIN floats either
 * side. Returns the address.
 */
export function frameOutput(mem: Mem, base: number, cap: number, off: number, n: number, poison = NaN): number {
  expect(2 * MARGIN + off + n).toBeLessThanOrEqual(cap);
  const v = mem.f32(base, 2 * MARGIN + off + n).fill(SENTINEL);
  v.fill(poison, MARGIN + off, MARGIN + off + n);
  return base + (MARGIN + off) * 4;
}

/** Compares a framed output with the reference and asserts both margins still hold SENTINEL. */
export function checkFramed(mem: Mem, ptr: number, n: number, ref: ArrayLike<number>, tol: Tol, label: string): void {
  const v = mem.f32(ptr - MARGIN * 4, n + 2 * MARGIN);
  assertClose(v.subarray(MARGIN, MARGIN + n), ref, tol, label);
  assertUntouched(v, 0, MARGIN, SENTINEL, `${label} (before the start)`);
  assertUntouched(v, MARGIN + n, n + 2 * MARGIN, SENTINEL, `${label} (past the end)`);
}

/** n float32-rounded uniform values in [lo, hi). */
export function uniformValues(rng: TestRng, n: number, lo = -1, hi = 1): Float32Array {
  const v = new Float32Array(n);
  fillUniform(v, rng, lo, hi);
  return v;
}
