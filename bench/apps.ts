// Benchmarks under the conditions apps run in (`tsx bench/index.ts apps`, and part of
// `npm run bench:peers`): default threads ('auto') against threads: 1 in the same run,
//   - on a quiet machine and while a child process keeps one core busy (`node -e 'for(;;);'`):
//     the 784-256-128-10 training step at batch 128, a fit epoch of 784-128-10 (Adam, batch 64),
//     and predict of 32 rows (p50/p90/p99 of single calls);
//   - churn: 1,000 × (create 784-128-10, predict 32 rows, dispose), each setting in a fresh
//     process, with its time, RSS growth and the first predict after each create.
// Interleaved rounds throughout, so load from elsewhere falls on both settings alike. Reports only.
import { execFileSync, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Network } from '../src/model.js';
import { SeededRandom, fmt, isMain, printFamily, type FamilyResult } from './common.js';

type Row = Record<string, string | number>;
const rnd = new SeededRandom(11);

function quantiles(xs: number[]): { p50: number; p90: number; p99: number } {
  const v = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => v[Math.min(v.length - 1, Math.floor(p * v.length))]!;
  return { p50: q(0.5), p90: q(0.9), p99: q(0.99) };
}

/** Per-call times of `fns` in interleaved rounds: round r runs `calls` calls of each in turn. */
function interleaved(fns: (() => unknown)[], rounds: number, calls: number): number[][] {
  const out = fns.map(() => [] as number[]);
  // warm-up of ~0.5 s each, as in an app that has been running: the thread pool has measured the
  // machine as it is now (see ModeChooser in src/wasm/pool.ts)
  for (const f of fns) { const until = performance.now() + 500; while (performance.now() < until) f(); }
  for (let r = 0; r < rounds; r++) {
    fns.forEach((f, j) => {
      for (let i = 0; i < calls; i++) { const t = performance.now(); f(); out[j]!.push(performance.now() - t); }
    });
  }
  return out;
}

/** The three workloads, default threads vs threads: 1; rows labelled with `condition`. */
async function workloads(condition: string, values: Record<string, number>): Promise<Row[]> {
  const rows: Row[] = [];
  // training step
  const x = rnd.fill(128 * 784), y = new Float32Array(128 * 10).map((_, i) => (i % 10 === (i / 10 | 0) % 10 ? 1 : 0));
  const mk = (threads: number | 'auto', sizes = [784, 256, 128, 10], optimizer: 'sgd' | 'adam' = 'sgd'): Network =>
    new Network({ layers: sizes, activation: 'relu', outputActivation: 'softmax', optimizer, seed: 3, threads });
  {
    const nets = [mk('auto'), mk(1)];
    const [a, one] = interleaved(nets.map((n) => () => n.trainBatch(x, y)), 10, 30);
    const qa = quantiles(a!), q1 = quantiles(one!);
    values[`${condition} step`] = q1.p50 / qa.p50;
    rows.push({ condition, workload: 'training step 784-256-128-10 b128', 'default p50 ms': fmt(qa.p50, 3), 'threads 1 p50 ms': fmt(q1.p50, 3), 'default speed ÷ threads 1': `${fmt(q1.p50 / qa.p50, 2)}×` });
    nets.forEach((n) => n.dispose());
  }
  // fit epochs
  {
    const n = 6400, fx = rnd.fill(n * 784), fy = new Float32Array(n * 10).map((_, i) => (i % 10 === (i / 10 | 0) % 10 ? 1 : 0));
    const nets = [mk('auto', [784, 128, 10], 'adam'), mk(1, [784, 128, 10], 'adam')];
    const sps = nets.map(() => [] as number[]);
    for (let r = 0; r < 6; r++) {
      for (let j = 0; j < nets.length; j++) {
        const h = await nets[j]!.fit(fx, fy, { epochs: 1, batchSize: 64 });
        if (r > 0) sps[j]!.push(h.epochs[0]!.samplesPerSecond); // round 0 is the warm-up
      }
    }
    const med = (v: number[]): number => quantiles(v).p50;
    values[`${condition} fit`] = med(sps[0]!) / med(sps[1]!);
    rows.push({ condition, workload: 'fit epoch 784-128-10 Adam b64 (samples/s)', 'default p50 ms': `${Math.round(med(sps[0]!))} /s`, 'threads 1 p50 ms': `${Math.round(med(sps[1]!))} /s`, 'default speed ÷ threads 1': `${fmt(med(sps[0]!) / med(sps[1]!), 2)}×` });
    nets.forEach((n) => n.dispose());
  }
  // predict 32 rows
  {
    const px = x.subarray(0, 32 * 784);
    const nets = [mk('auto'), mk(1)];
    const [a, one] = interleaved(nets.map((n) => () => n.predict(px)), 10, 100);
    const qa = quantiles(a!), q1 = quantiles(one!);
    values[`${condition} predict32`] = q1.p50 / qa.p50;
    values[`${condition} predict32 p99 ratio`] = qa.p99 / q1.p99;
    rows.push({ condition, workload: 'predict 32 rows 784-256-128-10', 'default p50 ms': fmt(qa.p50, 3), 'threads 1 p50 ms': fmt(q1.p50, 3), 'default speed ÷ threads 1': `${fmt(q1.p50 / qa.p50, 2)}×`, 'p90 / p99 ms default': `${fmt(qa.p90, 3)} / ${fmt(qa.p99, 3)}`, 'p90 / p99 ms threads 1': `${fmt(q1.p90, 3)} / ${fmt(q1.p99, 3)}`, 'p99 ÷ p99': `${fmt(qa.p99 / q1.p99, 2)}×` });
    nets.forEach((n) => n.dispose());
  }
  return rows;
}

function churn(cycles: number, threads: string): { ms: number; rssGrowthMB: number; firstPredictMs: { veryFirst: number; p50: number; p99: number; max: number } } {
  const tsx = fileURLToPath(new URL('../node_modules/tsx/dist/cli.mjs', import.meta.url));
  const child = fileURLToPath(new URL('./children/churn.ts', import.meta.url));
  const out = execFileSync(process.execPath, [tsx, child, String(cycles), threads], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop()!);
}

export async function run(): Promise<FamilyResult> {
  const rows: Row[] = [];
  const values: Record<string, number> = {};
  rows.push(...await workloads('quiet', values));
  const busy = spawn(process.execPath, ['-e', 'for (;;);'], { stdio: 'ignore' });
  try {
    await new Promise((r) => setTimeout(r, 200));
    rows.push(...await workloads('one core busy', values));
  } finally {
    busy.kill('SIGKILL');
  }
  const cycles = 1000;
  const results = [churn(cycles, 'auto'), churn(cycles, '1'), churn(cycles, 'auto'), churn(cycles, '1')];
  const [a, one] = [[results[0]!, results[2]!], [results[1]!, results[3]!]];
  const best = <T extends { ms: number }>(v: T[]): T => (v[0]!.ms <= v[1]!.ms ? v[0]! : v[1]!);
  const ba = best(a), b1 = best(one);
  values['churn time ratio'] = ba.ms / b1.ms;
  values['churn rss MB'] = ba.rssGrowthMB;
  values['churn first predict max ms'] = ba.firstPredictMs.max;
  rows.push({
    condition: 'quiet', workload: `churn: ${cycles} × (create 784-128-10, predict 32, dispose), fresh process`,
    'default p50 ms': `${fmt(ba.ms, 0)} ms total`, 'threads 1 p50 ms': `${fmt(b1.ms, 0)} ms total`, 'default speed ÷ threads 1': `${fmt(b1.ms / ba.ms, 2)}×`,
    'p90 / p99 ms default': `RSS +${fmt(ba.rssGrowthMB, 1)} MB; first predict p50 ${fmt(ba.firstPredictMs.p50, 2)}, max ${fmt(ba.firstPredictMs.max, 2)} ms (process's first ${fmt(ba.firstPredictMs.veryFirst, 1)})`,
    'p90 / p99 ms threads 1': `RSS +${fmt(b1.rssGrowthMB, 1)} MB; first predict p50 ${fmt(b1.firstPredictMs.p50, 2)}, max ${fmt(b1.firstPredictMs.max, 2)} ms`,
  });
  return {
    values,
    title: 'apps: default threads vs threads 1, quiet and with one core busy; churn of short-lived networks',
    rows,
    notes: [
      'one core busy: a child process runs `for (;;);` for the whole block',
      'churn: each setting runs twice, each time in a fresh process (RSS after 50 warm-up cycles); the faster run of each is shown',
    ],
  };
}

if (isMain(import.meta.url)) printFamily(await run());
