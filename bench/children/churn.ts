// One churn run in a fresh process (so its RSS is its own): N × (create 784-128-10, predict 32
// rows, dispose) with the given threads option. Prints one JSON line: total ms, RSS growth after
// a 50-cycle warm-up, first-predict-after-create times (p50, max, the process's very first).
// Usage: tsx bench/children/churn.ts <cycles> <auto|N>
import { Network } from '../../src/index.js';

const cycles = Number(process.argv[2] ?? 1000);
const threads = process.argv[3] === 'auto' || process.argv[3] === undefined ? 'auto' : Number(process.argv[3]);
const x = new Float32Array(32 * 784).map((_, i) => ((i * 7919) % 256) / 255);
const firsts: number[] = [];

function cycle(): void {
  const net = new Network({ layers: [784, 128, 10], activation: 'relu', outputActivation: 'softmax', seed: 1, threads });
  const t = performance.now();
  net.predict(x);
  firsts.push(performance.now() - t);
  net.dispose();
}

const t0 = performance.now();
for (let i = 0; i < 50; i++) cycle();
const rss0 = process.memoryUsage().rss;
for (let i = 50; i < cycles; i++) cycle();
const ms = performance.now() - t0;
const rss1 = process.memoryUsage().rss;
const sorted = [...firsts].sort((a, b) => a - b);
console.log(JSON.stringify({
  cycles, threads, ms, rssGrowthMB: (rss1 - rss0) / 2 ** 20,
  firstPredictMs: { veryFirst: firsts[0], p50: sorted[sorted.length >> 1], p99: sorted[Math.floor(sorted.length * 0.99)], max: sorted[sorted.length - 1] },
}));
