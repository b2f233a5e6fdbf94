// Run by tests/threads.test.ts as `node --import tsx tests/children/churn.ts N`: N cycles of
// (create 784-128-10 with default threads, predict 32 rows, dispose) and N of (create
// 784-256-128-10, trainBatch 8 rows, dispose), in a fresh process so the RSS is this loop's own.
// Prints one JSON line: RSS growth after a warm-up, and the OS thread count (Linux) before/after.
import { readFileSync } from 'node:fs';
import { Network } from '../../src/index.js';

const cycles = Number(process.argv[2] ?? 1000);
const osThreads = (): number | null => {
  try { return Number(/^Threads:\s+(\d+)/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]); } catch { return null; }
};
const x = new Float32Array(32 * 784).map((_, i) => ((i * 7919) % 256) / 255);
const y = new Float32Array(8 * 10).map((_, i) => (i % 10 === 3 ? 1 : 0));
const predict = (): void => {
  const n = new Network({ layers: [784, 128, 10], activation: 'relu', outputActivation: 'softmax', seed: 1 });
  n.predict(x); n.dispose();
};
const train = (): void => {
  const n = new Network({ layers: [784, 256, 128, 10], activation: 'relu', outputActivation: 'softmax', seed: 1 });
  n.trainBatch(x.subarray(0, 8 * 784), y); n.dispose();
};
for (let i = 0; i < 100; i++) { predict(); train(); } // warm-up: the pool, the JIT, the arena's high-water mark
const rss0 = process.memoryUsage().rss, threads0 = osThreads();
for (let i = 0; i < cycles; i++) { predict(); train(); }
const rss1 = process.memoryUsage().rss;
console.log(JSON.stringify({ cycles, rssGrowthMB: (rss1 - rss0) / 2 ** 20, threadsBefore: threads0, threadsAfter: osThreads() }));
