// `npm run bench:peers`: wasmlp next to its peers in one process, same data, same shapes,
// medians after warm-up. Matmul GFLOP/s (wasmlp 1 and N threads, tfjs-wasm, tfjs-cpu, plain JS,
// the measured SIMD peak), a 784-256-128-10 training step at batch 128 (relu, softmax +
// cross-entropy, SGD), a fit epoch on 10,000 random rows against tfjs-wasm's model.fit, and
// per-sample training with brain.js semantics against brain.js 2.0.0-beta.24 and 1.6.1.
// Writes the tables between the peers markers of bench/RESULTS.md. No assertions: it reports.
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { Network } from '../src/model.js';
import { backend } from '../src/wasm/kernels.js';
import { ThreadPool, type Layout } from '../src/wasm/pool.js';
import { SeededRandom, fmt, formatTable, gflops, header, measure, measureInterleaved, type Timing } from './common.js';
import { run as runPeak } from './peak.js';
import { run as runBrain } from './brain.js';
import { run as runApps } from './apps.js';
import { makeNet as inferenceNet, run as runInference, SIZES as INF_SIZES, type Peer } from './inference.js';
import { toONNX } from '../src/onnx.js';

const THREADS = Math.max(2, availableParallelism());
const SIZES = [784, 256, 128, 10];
const BATCH = 128;
const LR = 0.01;
const FAST = { time: 600, iterations: 10, warmupTime: 150, warmupIterations: 3 };
const SLOW = { time: 800, iterations: 3, warmupTime: 0, warmupIterations: 1 };

type Row = Record<string, string | number>;
const rnd = new SeededRandom(2026);

// ************* matmul *************

const SHAPES: [number, number, number][] = [[128, 256, 784], [512, 512, 512], [128, 10, 128]];

function jsMatmul(layout: Layout, c: Float32Array, a: Float32Array, b: Float32Array, m: number, n: number, k: number): void {
  c.fill(0);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const av = layout === 'tn' ? a[p * m + i]! : a[i * k + p]!;
      const ci = i * n;
      if (layout === 'nt') for (let j = 0; j < n; j++) c[ci + j]! += av * b[j * k + p]!;
      else { const bp = p * n; for (let j = 0; j < n; j++) c[ci + j]! += av * b[bp + j]!; }
    }
  }
}

async function matmulRows(peak: number): Promise<Row[]> {
  const be = backend();
  const pool = new ThreadPool(be, THREADS - 1);
  const rows: Row[] = [];
  for (const [m, n, k] of SHAPES) {
    const A = rnd.fill(m * k, -1, 1), Bm = rnd.fill(k * n, -1, 1);
    const pa = be.arena.alloc(m * k), pb = be.arena.alloc(k * n), pc = be.arena.alloc(m * n);
    be.arena.view(pa, m * k).set(A); be.arena.view(pb, k * n).set(Bm);
    const flops = 2 * m * n * k;
    const ta = tf.tensor2d(A, [m, k]), tb = tf.tensor2d(Bm, [k, n]);
    const tat = tf.tensor2d(A, [k, m]), tbt = tf.tensor2d(Bm, [n, k]);
    const jc = new Float32Array(m * n);
    for (const layout of ['nn', 'nt', 'tn'] as Layout[]) {
      const sa = layout === 'tn' ? m * 4 : k * 4, sb = layout === 'nt' ? k * 4 : n * 4;
      const [one, many] = measureInterleaved([
        [`wasmlp ${layout}`, () => pool.matmul(layout, pc, pa, pb, m, n, k, sa, sb, n * 4, 0, 1)],
        [`wasmlp ${layout} ×${THREADS}`, () => pool.matmul(layout, pc, pa, pb, m, n, k, sa, sb, n * 4, 0, THREADS)],
      ], FAST) as [Timing, Timing];
      const tfRun = (): void => {
        const r = layout === 'nn' ? tf.matMul(ta, tb) : layout === 'nt' ? tf.matMul(ta, tbt, false, true) : tf.matMul(tat, tb, true, false);
        r.dataSync(); r.dispose();
      };
      await tf.setBackend('wasm');
      const tw = measure(`tfjs-wasm ${layout}`, tfRun, FAST);
      await tf.setBackend('cpu');
      const tc = measure(`tfjs-cpu ${layout}`, tfRun, m * n * k > 5e7 ? SLOW : FAST);
      const js = measure(`js ${layout}`, () => jsMatmul(layout, jc, A, Bm, m, n, k), m * n * k > 5e7 ? SLOW : FAST);
      const g1 = gflops(flops, one.medianMs);
      rows.push({
        shape: `${m}×${n}×${k}`, layout,
        'wasmlp 1t': fmt(g1, 1), [`wasmlp ${THREADS}t`]: fmt(gflops(flops, many.medianMs), 1),
        'tfjs-wasm': fmt(gflops(flops, tw.medianMs), 1), 'tfjs-cpu': fmt(gflops(flops, tc.medianMs), 2), 'plain JS': fmt(gflops(flops, js.medianMs), 2),
        '1t % peak': `${fmt((100 * g1) / peak, 0)}%`, '1t / tfjs-wasm': `${fmt(tw.medianMs / one.medianMs, 1)}×`,
      });
    }
    for (const t of [ta, tb, tat, tbt]) t.dispose();
    for (const p of [pa, pb, pc]) be.arena.free(p);
  }
  pool.close();
  return rows;
}

// ************* training step and fit epoch *************

function tfModel(weights: { weights: Float32Array; bias: Float32Array | null; rows: number; cols: number }[]): tf.Sequential {
  const model = tf.sequential();
  SIZES.slice(1).forEach((units, i) => {
    model.add(tf.layers.dense({ units, inputShape: i === 0 ? [SIZES[0]!] : undefined, activation: i === SIZES.length - 2 ? 'softmax' : 'relu' }));
  });
  // same start as wasmlp: tfjs kernels are [in, out], ours [out, in]
  model.setWeights(weights.flatMap((w) => [tf.tensor2d(w.weights, [w.rows, w.cols]).transpose(), tf.tensor1d(w.bias!)]));
  model.compile({ optimizer: tf.train.sgd(LR), loss: 'categoricalCrossentropy' });
  return model;
}

async function trainingRows(): Promise<{ step: Row[]; fit: Row[] }> {
  const x = rnd.fill(BATCH * SIZES[0]!);
  const y = new Float32Array(BATCH * 10);
  for (let r = 0; r < BATCH; r++) y[r * 10 + Math.floor(rnd.next() * 10)] = 1;
  const make = (threads: number): Network => new Network({ layers: SIZES, activation: 'relu', outputActivation: 'softmax', learningRate: LR, seed: 3, threads });
  const n1 = make(1), nN = make(THREADS);
  const w0 = n1.getWeights();
  const [s1, sN] = measureInterleaved([
    ['wasmlp step 1t', () => n1.trainBatch(x, y)], [`wasmlp step ${THREADS}t`, () => nN.trainBatch(x, y)],
  ], { ...FAST, time: 2 * (FAST.time ?? 300) }) as [Timing, Timing];
  const tx = tf.tensor2d(x, [BATCH, SIZES[0]!]), ty = tf.tensor2d(y, [BATCH, 10]);
  const step: Row[] = [];
  const tfStep: Record<string, number> = {};
  for (const b of ['wasm', 'cpu']) {
    await tf.setBackend(b);
    const model = tfModel(w0);
    // trainOnBatch is async; time it with a small manual loop of awaited steps (medians)
    for (let i = 0; i < 3; i++) await model.trainOnBatch(tx, ty);
    const times: number[] = [];
    const until = performance.now() + (b === 'cpu' ? 3000 : 1500);
    while (times.length < 5 || (performance.now() < until && times.length < 200)) {
      const t0 = performance.now(); await model.trainOnBatch(tx, ty); times.push(performance.now() - t0);
    }
    times.sort((a, c) => a - c);
    tfStep[b] = times[Math.floor(times.length / 2)]!;
    model.dispose();
  }
  const fl = 2 * BATCH * (3 * (784 * 256 + 256 * 128 + 128 * 10) - 784 * 256); // no dX for the first layer
  const row = (name: string, ms: number): Row => ({ implementation: name, 'ms/step': fmt(ms, 2), 'GFLOP/s': fmt(gflops(fl, ms), 1), 'samples/s': Math.round((BATCH * 1000) / ms), 'vs tfjs-wasm': `${fmt(tfStep.wasm! / ms, 1)}×` });
  step.push(row('wasmlp, 1 thread', s1.medianMs), row(`wasmlp, ${THREADS} threads`, sN.medianMs), row('tfjs-wasm (trainOnBatch)', tfStep.wasm!), row('tfjs-cpu (trainOnBatch)', tfStep.cpu!));
  n1.dispose(); nN.dispose(); tx.dispose(); ty.dispose();

  // one epoch of fit on 10,000 random rows, batch 128
  const N = 10_000;
  const fx = rnd.fill(N * 784);
  const fy = new Float32Array(N * 10);
  for (let r = 0; r < N; r++) fy[r * 10 + Math.floor(rnd.next() * 10)] = 1;
  const fit: Row[] = [];
  for (const threads of [1, THREADS]) {
    const net = make(threads);
    await net.fit(fx, fy, { epochs: 1, batchSize: BATCH }); // warm-up epoch
    const times: number[] = [];
    for (let e = 0; e < 3; e++) { const t0 = performance.now(); await net.fit(fx, fy, { epochs: 1, batchSize: BATCH }); times.push(performance.now() - t0); }
    times.sort((a, c) => a - c);
    fit.push({ implementation: `wasmlp fit, ${threads} thread${threads > 1 ? 's' : ''}`, 'ms/epoch': fmt(times[1]!, 0), 'samples/s': Math.round(N / times[1]! * 1000) });
    net.dispose();
  }
  await tf.setBackend('wasm');
  const model = tfModel(w0);
  const tfx = tf.tensor2d(fx, [N, 784]), tfy = tf.tensor2d(fy, [N, 10]);
  await model.fit(tfx, tfy, { epochs: 1, batchSize: BATCH, verbose: 0 });
  const times: number[] = [];
  for (let e = 0; e < 3; e++) { const t0 = performance.now(); await model.fit(tfx, tfy, { epochs: 1, batchSize: BATCH, verbose: 0, shuffle: true }); times.push(performance.now() - t0); }
  times.sort((a, c) => a - c);
  const tfMs = times[1]!;
  fit.push({ implementation: 'tfjs-wasm model.fit', 'ms/epoch': fmt(tfMs, 0), 'samples/s': Math.round(N / tfMs * 1000) });
  for (const r of fit) r['vs tfjs-wasm'] = `${fmt(tfMs / Number(r['ms/epoch']), 1)}×`;
  model.dispose(); tfx.dispose(); tfy.dispose();
  return { step, fit };
}

// ************* inference: predict latency against onnxruntime-node and tfjs-wasm *************

/** onnxruntime-node (one intra-op thread) and tfjs-wasm on the weights of bench/inference.ts's network. */
async function inferencePeers(): Promise<{ peers: Peer[]; notes: string[] }> {
  const net = inferenceNet(1);
  const peers: Peer[] = [];
  const notes: string[] = [];
  try {
    const ort = await import('onnxruntime-node');
    const session = await ort.InferenceSession.create(toONNX(net), { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' });
    peers.push({
      name: 'onnxruntime-node 1 thread',
      predict: async (x, rows) => (await session.run({ input: new ort.Tensor('float32', x, [rows, INF_SIZES[0]!]) })).output!.data,
      dispose: () => session.release(),
    });
    notes.push(`onnxruntime-node ${ort.env.versions?.common ?? '?'} (CPU execution provider, intraOpNumThreads 1, the model from toONNX)`);
  } catch (e) {
    notes.push(`onnxruntime-node: not available (${(e as Error).message.split('\n')[0]})`);
  }
  await tf.setBackend('wasm');
  const w = net.getWeights();
  const model = tf.sequential();
  INF_SIZES.slice(1).forEach((units, i) => model.add(tf.layers.dense({ units, inputShape: i === 0 ? [INF_SIZES[0]!] : undefined, activation: i === INF_SIZES.length - 2 ? 'softmax' : 'relu' })));
  model.setWeights(w.flatMap((l) => [tf.tensor2d(l.weights, [l.rows, l.cols]).transpose(), tf.tensor1d(l.bias!)]));
  peers.push({
    name: 'tfjs-wasm',
    predict: (x, rows) => tf.tidy(() => (model.predict(tf.tensor2d(x, [rows, INF_SIZES[0]!])) as tf.Tensor).dataSync()),
    dispose: () => model.dispose(),
  });
  net.dispose();
  return { peers, notes };
}

// ************* targets *************

/** The engine issue's targets against this run's figures (informational: nothing fails on a timing). */
function appTargets(a: Record<string, number>, inf: Record<string, number>): Row[] {
  const rows: Row[] = [];
  const t = (target: string, measured: string, met: boolean | undefined): void => {
    rows.push({ target, measured, status: met === undefined ? 'not measured' : met ? 'met' : 'not met' });
  };
  const x = (v: number | undefined, d = 2): string => (v === undefined ? '—' : `${fmt(v, d)}×`);
  t('quiet: training step, default ≥ 1.6× threads 1', x(a['quiet step']), a['quiet step'] === undefined ? undefined : a['quiet step'] >= 1.6);
  for (const [k, name] of [['step', 'training step'], ['fit', 'fit epoch'], ['predict32', 'predict 32 rows']] as const) {
    const v = a[`one core busy ${k}`];
    t(`one core busy: ${name}, default ≥ 0.9× the speed of threads 1`, x(v), v === undefined ? undefined : v >= 0.9);
  }
  const p99 = a['one core busy predict32 p99 ratio'];
  t('one core busy: predict 32 p99 within 1.5× of threads 1', p99 === undefined ? '—' : `${fmt(p99, 2)}× threads 1's`, p99 === undefined ? undefined : p99 <= 1.5);
  const ct = a['churn time ratio'], rss = a['churn rss MB'], fp = a['churn first predict max ms'];
  t('churn 1,000 × (create, predict 32, dispose): time within 1.5× of threads 1', ct === undefined ? '—' : `${fmt(ct, 2)}× threads 1's`, ct === undefined ? undefined : ct <= 1.5);
  t('churn: RSS growth < 16 MB', rss === undefined ? '—' : `${fmt(rss, 1)} MB`, rss === undefined ? undefined : rss < 16);
  t('first predict after create ≤ 10 ms', fp === undefined ? '—' : `${fmt(fp, 2)} ms (slowest of 1,000)`, fp === undefined ? undefined : fp <= 10);
  const one = Math.min(inf['wasmlp 1 thread b1'] ?? Infinity, inf['wasmlp default b1'] ?? Infinity);
  const ortKey = Object.keys(inf).find((k) => k.startsWith('onnxruntime') && k.endsWith(' b1'));
  const ort = ortKey ? inf[ortKey] : undefined;
  t('predict of one sample 784-256-128-10 ≤ 20 µs', Number.isFinite(one) ? `${fmt(one, 1)} µs` : '—', Number.isFinite(one) ? one <= 20 : undefined);
  t('… and faster than onnxruntime-node (1 thread)', ort === undefined ? '—' : `${fmt(one, 1)} vs ${fmt(ort, 1)} µs (${fmt(ort / one, 2)}×)`, ort === undefined ? undefined : one < ort);
  const b8 = Math.min(inf['wasmlp 1 thread b8'] ?? Infinity, inf['wasmlp default b8'] ?? Infinity);
  t('predict batch 8 ≤ 2× batch 1', Number.isFinite(b8) ? `${fmt(b8 / one, 1)}× (${fmt(b8, 1)} vs ${fmt(one, 1)} µs)` : '—', Number.isFinite(b8) ? b8 <= 2 * one : undefined);
  return rows;
}

// ************* main *************

const started = performance.now();
const head = header();
console.log(head);
await tf.setBackend('wasm');
await tf.ready();
console.log(`peers:    @tensorflow/tfjs ${tf.version.tfjs} (backends wasm and cpu), plain JS loops; wasmlp threads: 1 and ${THREADS}\n`);
const peak = await runPeak();
const peakBaseline = peak.values?.baseline ?? NaN;
const mm = await matmulRows(peakBaseline);
const tr = await trainingRows();
const brain = await runBrain();
const infPeers = await inferencePeers();
const inference = await runInference(infPeers.peers, infPeers.peers[0]?.name.startsWith('onnxruntime') ? infPeers.peers[0].name : undefined);
for (const p of infPeers.peers) await p.dispose?.();
const apps = await runApps();
const targets = appTargets(apps.values ?? {}, inference.values ?? {});
const sections = [
  `measured SIMD peak (register-only mul+add, one thread): ${fmt(peakBaseline, 1)} GFLOP/s`,
  '',
  'matmul GFLOP/s (m×n×k; nn: A·B, nt: A·Bᵀ, tn: Aᵀ·B)',
  formatTable(mm),
  '',
  `training step ${SIZES.join('-')}, batch ${BATCH}, relu + softmax/cross-entropy, SGD`,
  formatTable(tr.step),
  '',
  `fit: one epoch of 10,000 random rows, ${SIZES.join('-')}, batch ${BATCH}, shuffled (median of 3 epochs after a warm-up epoch)`,
  formatTable(tr.fit),
  '',
  inference.title,
  formatTable(inference.rows),
  ...[...infPeers.notes, ...inference.notes].map((n) => `  ${n}`),
  '',
  brain.title,
  formatTable(brain.rows),
  ...brain.notes.map((n) => `  ${n}`),
  '',
  apps.title,
  formatTable(apps.rows),
  ...apps.notes.map((n) => `  ${n}`),
  '',
  'targets of the engine issue (threads under load, churn, single-request inference), this run',
  formatTable(targets),
];
const body = sections.join('\n');
console.log(body);
const took = (performance.now() - started) / 1000;
console.log(`\n(bench:peers took ${fmt(took, 0)} s)`);

const file = new URL('./RESULTS.md', import.meta.url);
let md = '';
try { md = readFileSync(file, 'utf8'); } catch { md = '# Benchmark results\n'; }
const block = `<!-- peers:start -->\n## Peers (\`npm run bench:peers\`)\n\n\`\`\`\n${head}\n\n${body}\n\`\`\`\n<!-- peers:end -->`;
md = /<!-- peers:start -->[\s\S]*<!-- peers:end -->/.test(md) ? md.replace(/<!-- peers:start -->[\s\S]*<!-- peers:end -->/, block) : `${md.trimEnd()}\n\n${block}\n`;
writeFileSync(file, md);
console.log(`written to bench/RESULTS.md`);
