// The machine's register-only 128-bit SIMD peak, as a yardstick for the matmul numbers.
// bench/peak.as.ts (independent f32x4 accumulators, c = c·a + b, no memory traffic) is compiled
// here with the asc API into a temp dir, once per SIMD build, and timed with tinybench.
// GFLOP/s = accumulators · 4 lanes · 2 · n / time. Next to it, the same loop in plain JS (f64 scalars).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { relaxedSimdSupported, type SimdVariant } from '../src/wasm/kernels.js';
import { RELAXED_UNSUPPORTED, fmt, gflops, header, isMain, measure, printFamily, type FamilyResult } from './common.js';

// Loop iterations per call: ~2–3 ms at 30–50 GFLOP/s with 12 accumulators. Short calls on purpose:
// on a shared machine a 30 ms call is often preempted, and the median would measure the scheduler.
const N = 1_000_000;
const A = 0.999, B = 0.001;
const TIMING = { time: 1000, iterations: 10, warmupTime: 100, warmupIterations: 3 };
const JS_N = 200_000;

type PeakFn = (n: number, a: number, b: number) => number;
interface PeakExports { peak8: PeakFn; peak12: PeakFn; split12: PeakFn }

/** Rows of the table: which export, its op mix, accumulators, FLOPs per loop iteration, (a, b). */
const KERNELS = [
  { name: 'peak8', op: 'c = c·a + b', acc: 8, flopsPerIter: 8 * 4 * 2, a: A, b: B },
  { name: 'peak12', op: 'c = c·a + b', acc: 12, flopsPerIter: 12 * 4 * 2, a: A, b: B },
  // a = 1 keeps the mul chains constant (a < 1 would decay them into denormals).
  { name: 'split12', op: '6× c = c·a, 6× d = d + b', acc: 12, flopsPerIter: 12 * 4, a: 1, b: B },
] as const;

// The asc API runs in a plain `node` child: imported under tsx's loader, asc + binaryen.js take
// ~11 s to load on this machine instead of ~2 s.
const ASC_CHILD = `import asc from 'assemblyscript/asc';
for (const args of JSON.parse(process.argv[1])) {
  const { error, stderr } = await asc.main(args);
  if (error) { process.stderr.write(error.message + '\\n' + stderr.toString()); process.exit(1); }
}`;

/** Compiles bench/peak.as.ts once per SIMD build with the asc API; returns the wasm bytes. */
function compile(variants: SimdVariant[]): Map<SimdVariant, Uint8Array<ArrayBuffer>> {
  const dir = mkdtempSync(join(tmpdir(), 'wasmlp-peak-'));
  try {
    // Our own config, so the project's asconfig.json (importMemory, …) does not apply.
    const config = join(dir, 'asconfig.json');
    writeFileSync(config, JSON.stringify({ options: {} }));
    const jobs = variants.map((v) => [
      fileURLToPath(new URL('./peak.as.ts', import.meta.url)),
      '--config', config, '--outFile', join(dir, `peak.${v}.wasm`), '--optimizeLevel', '3', '--shrinkLevel', '0',
      '--noAssert', '--runtime', 'stub', '--enable', 'simd', ...(v === 'relaxed' ? ['--enable', 'relaxed-simd'] : []),
    ]);
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', ASC_CHILD, JSON.stringify(jobs)], {
      cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`asc failed on bench/peak.as.ts: ${r.error?.message ?? ''}${r.stderr}`);
    return new Map(variants.map((v) => [v, new Uint8Array(readFileSync(join(dir, `peak.${v}.wasm`)))]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The same c = c·a + b chains in plain JS (12 independent f64 accumulators). */
function jsPeak12(n: number, a: number, b: number): number {
  let c0 = 0, c1 = 0.1, c2 = 0.2, c3 = 0.3, c4 = 0.4, c5 = 0.5, c6 = 0.6, c7 = 0.7, c8 = 0.8, c9 = 0.9, c10 = 1, c11 = 1.1;
  for (let i = 0; i < n; i++) {
    c0 = c0 * a + b; c1 = c1 * a + b; c2 = c2 * a + b; c3 = c3 * a + b;
    c4 = c4 * a + b; c5 = c5 * a + b; c6 = c6 * a + b; c7 = c7 * a + b;
    c8 = c8 * a + b; c9 = c9 * a + b; c10 = c10 * a + b; c11 = c11 * a + b;
  }
  return c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11;
}

let compiled: Map<SimdVariant, Uint8Array<ArrayBuffer>> | undefined;

/**
 * A short peak12 call (the register-only mul+add, or FMA, loop) for one build, to interleave with
 * another measurement: `run` does `flops` FLOPs in about 0.3 ms.
 */
export function peakProbe(variant: SimdVariant): { run: () => void; flops: number } {
  compiled ??= compile(relaxedSimdSupported() ? ['baseline', 'relaxed'] : ['baseline']);
  const bytes = compiled.get(variant);
  if (!bytes) throw new Error(`peak probe: no ${variant} build on this engine`);
  const ex = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { abort: () => { throw new Error('abort'); } } }).exports as unknown as PeakExports;
  const n = 100_000;
  let sink = 0;
  return { run: () => { sink += ex.peak12(n, A, B); if (!Number.isFinite(sink)) sink = 0; }, flops: 12 * 4 * 2 * n };
}

export async function run(): Promise<FamilyResult> {
  const relaxed = relaxedSimdSupported();
  const variants: SimdVariant[] = relaxed ? ['baseline', 'relaxed'] : ['baseline'];
  const rows: FamilyResult['rows'] = [];
  let sink = 0;
  const best: Partial<Record<SimdVariant, number>> = {};
  const wasm = compile(variants);
  for (const v of variants) {
    const bytes = wasm.get(v)!;
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { abort: () => { throw new Error('abort'); } } });
    const ex = instance.exports as unknown as PeakExports;
    for (const kn of KERNELS) {
      if (kn.name === 'split12' && v === 'relaxed') continue; // no madd in it: same code as baseline
      const f = ex[kn.name];
      const t = measure(`${kn.name} ${v}`, () => { sink += f(N, kn.a, kn.b); }, TIMING);
      const g = gflops(kn.flopsPerIter * N, t.medianMs);
      best[v] = Math.max(best[v] ?? 0, g);
      const instr = kn.name === 'split12' ? 'f32x4.mul, f32x4.add' : v === 'relaxed' ? 'f32x4.relaxed_madd (FMA)' : 'f32x4.mul + f32x4.add';
      rows.push({
        kernel: `wasm ${v} ${kn.name}`, op: kn.op, instructions: instr,
        accumulators: kn.acc, 'ms/call': fmt(t.medianMs, 2), 'GFLOP/s': fmt(g, 1),
        'best-call GFLOP/s': fmt(gflops(kn.flopsPerIter * N, t.minMs), 1),
      });
    }
  }
  const js = measure('peak js 12', () => { sink += jsPeak12(JS_N, A, B); }, TIMING);
  const jsG = gflops(12 * 2 * JS_N, js.medianMs);
  rows.push({ kernel: 'plain JS', op: 'c = c·a + b', instructions: 'f64 scalar mul + add', accumulators: 12, 'ms/call': fmt(js.medianMs, 2), 'GFLOP/s': fmt(jsG, 2), 'best-call GFLOP/s': fmt(gflops(12 * 2 * JS_N, js.minMs), 2) });
  if (!Number.isFinite(sink)) console.log('(unexpected non-finite peak checksum)');
  const notes = [
    `n = ${N.toLocaleString('en-US')} loop iterations per wasm call (JS: ${JS_N.toLocaleString('en-US')}); c = c·a + b counts 2 FLOPs per lane (mul + add, or one FMA): FLOPs = accumulators · 4 lanes · 2 · n (JS: accumulators · 2 · n); split12 counts 1 FLOP per lane per op. Single thread, no memory traffic.`,
    'GFLOP/s from the median call (used for "% peak" in the matmul table); best-call from the fastest call (less sensitive to other load on the machine).',
    `peak = best row per build: baseline (mul + add) ${fmt(best.baseline ?? 0, 1)} GFLOP/s${best.relaxed ? `, relaxed (FMA) ${fmt(best.relaxed, 1)} GFLOP/s` : ''}; plain-JS scalar loop ${fmt(jsG, 2)} GFLOP/s.`,
  ];
  if (!relaxed) notes.push(RELAXED_UNSUPPORTED);
  return { title: 'peak: register-only SIMD mul+add throughput', rows, notes, values: { ...best } };
}

if (isMain(import.meta.url)) {
  console.log(header());
  printFamily(await run());
}
