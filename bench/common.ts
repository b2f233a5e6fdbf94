// Shared pieces of the benchmarks: the machine header, one timing helper on top of tinybench,
// a seeded PRNG and a plain aligned-text table. No timing assertions anywhere: benches report.
import { execSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { Bench } from 'tinybench';
import { backend, relaxedSimdSupported } from '../src/wasm/kernels.js';

export const RELAXED_UNSUPPORTED = 'relaxed: not supported by this engine (Node 20 needs --experimental-wasm-relaxed-simd)';

/** What one benchmark family hands back to bench/index.ts. */
export interface FamilyResult {
  title: string;
  rows: Record<string, string | number>[];
  notes: string[];
  /** Numbers other families may use (e.g. the measured SIMD peak). */
  values?: Record<string, number>;
}

export interface Timing {
  /** Median latency of one call, ms. */
  medianMs: number;
  /** Fastest call, ms. */
  minMs: number;
  /** Mean latency of one call, ms. */
  meanMs: number;
  /** Relative margin of error of the mean, %. */
  rme: number;
  samples: number;
}

export interface MeasureOptions {
  /** Time budget of the measured phase, ms (tinybench `time`). */
  time?: number;
  /** Minimum measured iterations (tinybench `iterations`). */
  iterations?: number;
  /** Warm-up time budget, ms. */
  warmupTime?: number;
  /** Minimum warm-up iterations. */
  warmupIterations?: number;
}

/**
 * Times a synchronous function with tinybench (warm-up first, then the measured phase: it runs
 * until both the time budget and the minimum iteration count are met).
 */
export function measure(name: string, fn: () => unknown, o: MeasureOptions = {}): Timing {
  const bench = new Bench({
    name,
    time: o.time ?? 300,
    iterations: o.iterations ?? 10,
    warmup: true,
    warmupTime: o.warmupTime ?? 100,
    warmupIterations: o.warmupIterations ?? 3,
    timestampProvider: 'hrtimeNow',
    throws: true,
  });
  bench.add(name, fn, { async: false });
  const [task] = bench.runSync();
  const r = task?.result;
  if (!r || (r.state !== 'completed' && r.state !== 'aborted-with-statistics')) {
    throw new Error(`${name}: benchmark did not complete (${r?.state ?? 'no task'})`);
  }
  return { medianMs: r.latency.p50, minMs: r.latency.min, meanMs: r.latency.mean, rme: r.latency.rme, samples: r.latency.samplesCount };
}

/**
 * Times several functions in interleaved rounds (A, B, C, A, B, C, …: each round a short tinybench
 * run per function, samples kept), so that a burst of load from elsewhere on a shared machine falls
 * on all of them alike; ratios between them (1 vs N threads) are then far steadier than from back-to-
 * back runs. Each function is warmed up once before the first round. Statistics over all rounds' samples.
 */
export function measureInterleaved(tasks: [name: string, fn: () => unknown][], o: MeasureOptions & { rounds?: number } = {}): Timing[] {
  const rounds = o.rounds ?? 8;
  const all: number[][] = tasks.map(() => []);
  for (let r = 0; r < rounds; r++) {
    tasks.forEach(([name, fn], i) => {
      const bench = new Bench({
        name, time: (o.time ?? 300) / rounds, iterations: Math.max(2, Math.ceil((o.iterations ?? 10) / rounds)),
        warmup: r === 0, warmupTime: o.warmupTime ?? 100, warmupIterations: o.warmupIterations ?? 3,
        timestampProvider: 'hrtimeNow', throws: true, retainSamples: true,
      });
      bench.add(name, fn, { async: false });
      const [task] = bench.runSync();
      const lat = task?.result && 'latency' in task.result ? task.result.latency : undefined;
      if (!lat?.samples) throw new Error(`${name}: benchmark did not complete`);
      all[i]!.push(...lat.samples);
    });
  }
  return all.map((xs) => {
    const v = [...xs].sort((a, b) => a - b);
    const n = v.length, mean = v.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, n - 1));
    const median = n % 2 ? v[(n - 1) / 2]! : (v[n / 2 - 1]! + v[n / 2]!) / 2;
    return { medianMs: median, minMs: v[0]!, meanMs: mean, rme: (100 * 1.96 * sd) / Math.sqrt(n) / mean, samples: n };
  });
}

/** mulberry32: the same seed gives the same inputs on every run and platform. */
export class SeededRandom {
  private state: number;
  constructor(seed: number) { this.state = seed >>> 0; }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** A Float32Array of n values uniform in [lo, hi). */
  fill(n: number, lo = 0, hi = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * this.next();
    return out;
  }
}

export function gflops(flops: number, ms: number): number {
  return flops / (ms * 1e6);
}

export function fmt(x: number, digits = 2): string {
  if (!Number.isFinite(x)) return String(x);
  return x.toFixed(digits);
}

/** A short digest of a built wasm file, so a recorded run names the exact kernels it timed. */
function wasmDigest(file: string): string {
  try {
    const bytes = readFileSync(new URL(`../build/${file}`, import.meta.url));
    return `${createHash('sha256').update(bytes).digest('hex').slice(0, 12)} (${bytes.length} B)`;
  } catch {
    return 'missing (run npm run build)';
  }
}

function git(cmd: string): string {
  try { return execSync(`git ${cmd}`, { cwd: new URL('..', import.meta.url), stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim(); } catch { return '?'; }
}

function networkSimd(): string {
  try { return backend().simd; } catch (e) { return `(none: ${(e as Error).message})`; }
}

/** Date, Node version, CPU, SIMD builds: printed above every run. */
export function header(): string {
  const cpus = os.cpus();
  const relaxed = relaxedSimdSupported();
  const dirty = git('status --porcelain -- assembly src');
  const lines = [
    `date:     ${new Date().toISOString()}`,
    `node:     ${process.version} (V8 ${process.versions.v8}) on ${process.platform}-${process.arch}`,
    `cpu:      ${cpus[0]?.model ?? 'unknown'} × ${cpus.length} logical cores (single-threaded unless a row says threads)`,
    `load:     1-min load average ${os.loadavg()[0]!.toFixed(2)} on ${cpus.length} logical cores at start${os.loadavg()[0]! > cpus.length / 2 ? ' (other processes are using this machine: expect lower, noisier numbers)' : ''}`,
    `commit:   ${git('rev-parse --short HEAD')}${dirty ? ' + uncommitted changes in assembly/ or src/' : ''}`,
    `simd:     baseline build/kernels.wasm ${wasmDigest('kernels.wasm')}`,
    `          relaxed  build/kernels.relaxed.wasm ${wasmDigest('kernels.relaxed.wasm')}: ${relaxed ? 'supported by this engine' : 'not supported by this engine (Node 20 needs --experimental-wasm-relaxed-simd)'}`,
    `network:  Network (bench/train.ts) uses the ${networkSimd()} build${process.env.WASMLP_SIMD ? ` (WASMLP_SIMD=${process.env.WASMLP_SIMD})` : ''}`,
    `timing:   tinybench, warm-up then measured phase; times are medians of the per-call samples`,
  ];
  return lines.join('\n');
}

/** Plain aligned text: numbers right-aligned, text left-aligned. */
export function formatTable(rows: Record<string, string | number>[]): string {
  if (rows.length === 0) return '(no rows)';
  const cols: string[] = [];
  for (const r of rows) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
  const cell = (v: string | number | undefined): string => (v === undefined ? '' : String(v));
  const numeric = cols.map((c) => rows.every((r) => r[c] === undefined || typeof r[c] === 'number' || /^[-+]?[\d.]+(e[-+]?\d+)?[×%]?$/.test(cell(r[c]))));
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]): string => vals.map((v, i) => (numeric[i] ? v.padStart(width[i]!) : v.padEnd(width[i]!))).join('  ').trimEnd();
  return [line(cols), line(width.map((w) => '-'.repeat(w))), ...rows.map((r) => line(cols.map((c) => cell(r[c]))))].join('\n');
}

export function printFamily(f: FamilyResult): void {
  console.log(`\n## ${f.title}\n`);
  console.log(formatTable(f.rows));
  if (f.notes.length) console.log('\n' + f.notes.map((n) => `- ${n}`).join('\n'));
}

/** True when `moduleUrl` is the script node was started with (so a family file can run alone). */
export function isMain(moduleUrl: string): boolean {
  const arg = process.argv[1];
  if (!arg) return false;
  return moduleUrl === pathToFileURL(arg).href;
}
