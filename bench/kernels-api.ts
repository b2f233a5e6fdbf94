// wasmlp/kernels: the zero-copy path (WasmArray operands and out) against the copying path
// (Float32Array operands copied into wasm scratch and the result copied back), with the raw
// kernel call on arena pointers as the floor. All on the shared backend (backend(): the build a
// Network uses), single-threaded.
//
// matmul: C[m×n] = A[m×k]·B[k×n] (nn), GFLOP/s = 2·m·n·k / time. The copying path moves
// 4·(m·k + k·n + m·n) bytes more per call; it is given a preallocated Float32Array `out`, so it
// measures the copies and not the allocation of a result. A tt row (both transposes: a JS
// transpose of the smaller operand, then the nt kernel) shows what that path costs.
// Elementwise rows (sigmoid, hadamard) are memory-bound, where the copies matter most.
// Dense-layer rows: relu(x·Wᵀ + b) as one matmul with bias and activation fused into its store,
// against matmul, biasAdd and relu as three calls (two more passes over C), all zero-copy.
// Figures are from CPU time (see cpuPerCall), so a busy machine skews them less than wall time.
import os from 'node:os';
import { backend } from '../src/wasm/kernels.js';
import { WasmArray, biasAdd, hadamard, matmul, releaseScratch, relu, sigmoid } from '../src/kernels-api.js';
import { SeededRandom, fmt, gflops, header, isMain, measure, printFamily, type FamilyResult } from './common.js';

interface Shape { m: number; k: number; n: number }

export const SHAPES: Shape[] = [
  { m: 64, k: 64, n: 64 },
  { m: 256, k: 256, n: 256 },
  { m: 128, k: 784, n: 256 },
];
const ELEMENTWISE_N = [4096, 1 << 20];

const TIMING = { time: 150, iterations: 10, warmupTime: 30, warmupIterations: 3 };
/** Each variant is timed this many times, interleaved in a rotating order, and its best median kept (the machine may be busy). */
const ROUNDS = 5;

const CPU_MS = 100;

/**
 * CPU time of this process per call (user + system, ms), over a loop of at least CPU_MS wall ms.
 * Unlike wall time it does not count the time the process waits for a core, so it stays
 * meaningful when other processes load the machine (it still includes their cache pollution).
 */
function cpuPerCall(fn: () => unknown): number {
  fn(); fn();
  let iters = 0;
  const w0 = performance.now();
  const c0 = process.cpuUsage();
  do { fn(); iters++; } while (performance.now() - w0 < CPU_MS);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / iters;
}

interface Best { wall: number; cpu: number }

/** Per function: the best tinybench median (wall ms) and the best CPU ms per call over ROUNDS interleaved rounds. */
function timeAll(label: string, fns: Record<string, () => unknown>): Record<string, Best> {
  const best: Record<string, Best> = {};
  const entries = Object.entries(fns);
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < entries.length; i++) {
      const [name, fn] = entries[(i + r) % entries.length]!;
      const wall = measure(`${label} ${name}`, fn, TIMING).medianMs;
      const cpu = cpuPerCall(fn);
      const b = (best[name] ??= { wall: Infinity, cpu: Infinity });
      b.wall = Math.min(b.wall, wall);
      b.cpu = Math.min(b.cpu, cpu);
    }
  }
  return best;
}

export async function run(): Promise<FamilyResult> {
  const be = backend();
  const rows: FamilyResult['rows'] = [];
  const values: Record<string, number> = {};
  const rng = new SeededRandom(0x6b61);
  const loadBefore = os.loadavg()[0]!;

  for (const s of SHAPES) {
    const { m, k, n } = s;
    const shape = `${m}×${k}×${n}`;
    const flops = 2 * m * n * k;
    const a = rng.fill(m * k, -1, 1), b = rng.fill(k * n, -1, 1), c = new Float32Array(m * n);
    const wa = WasmArray.from(a), wb = WasmArray.from(b), wc = WasmArray.alloc(m * n);
    try {
      const kern = be.kernels;
      const [pa, pb, pc] = [wa.ptr, wb.ptr, wc.ptr];
      const t = timeAll(shape, {
        raw: () => kern.matmul_f32_nn(pc, pa, pb, m, n, k, k * 4, n * 4, n * 4, 0),
        zero: () => matmul(wa, wb, m, k, n, { out: wc }),
        copy: () => matmul(a, b, m, k, n, { out: c }),
        fresh: () => matmul(a, b, m, k, n),
        ttZero: () => matmul(wa, wb, m, k, n, { transposeA: true, transposeB: true, out: wc }),
        tt: () => matmul(a, b, m, k, n, { transposeA: true, transposeB: true, out: c }),
        copies: () => { wa.view.set(a); wb.view.set(b); c.set(wc.view); },
      });
      const zero = t.zero!.cpu;
      const line = (path: string, b: Best) => {
        rows.push({
          op: `matmul ${shape}`, path, 'CPU µs/call': fmt(b.cpu * 1000, 1), 'wall µs/call': fmt(b.wall * 1000, 1),
          'GFLOP/s': fmt(gflops(flops, b.cpu), 1), 'vs zero-copy': `${fmt(b.cpu / zero, 2)}×`,
        });
        values[`${path} ${shape}`] = gflops(flops, b.cpu);
      };
      line('raw kernel (pointers)', t.raw!);
      line('zero-copy (WasmArray in/out)', t.zero!);
      line('copying (Float32Array in/out)', t.copy!);
      line('copying, new result array', t.fresh!);
      line('tt zero-copy (transpose in JS + nt)', t.ttZero!);
      line('tt copying', t.tt!);
      const cp = t.copies!;
      rows.push({
        op: `matmul ${shape}`, path: 'the copies alone (A, B in; C out)', 'CPU µs/call': fmt(cp.cpu * 1000, 1),
        'wall µs/call': fmt(cp.wall * 1000, 1), 'vs zero-copy': `${fmt(cp.cpu / zero, 2)}×`,
      });
    } finally {
      wa.dispose(); wb.dispose(); wc.dispose();
    }
  }

  // a dense layer's forward pass: fused store vs three passes (zero-copy, so only the passes differ)
  for (const [m, k, n] of [[128, 784, 256], [128, 128, 10], [1024, 64, 64]] as const) {
    const shape = `${m}×${k}×${n}`;
    const x = WasmArray.from(rng.fill(m * k, 0, 1)), w = WasmArray.from(rng.fill(n * k, -0.1, 0.1));
    const bias = WasmArray.from(rng.fill(n, -0.1, 0.1)), out = WasmArray.alloc(m * n);
    try {
      const t = timeAll(`dense ${shape}`, {
        fused: () => matmul(x, w, m, k, n, { transposeB: true, bias, activation: 'relu', out }),
        three: () => { matmul(x, w, m, k, n, { transposeB: true, out }); biasAdd(out, bias, m, n); relu(out, out); },
      });
      for (const [path, b] of [['fused: matmul({ bias, activation })', t.fused!], ['three calls: matmul, biasAdd, relu', t.three!]] as const) {
        rows.push({
          op: `dense relu(x·Wᵀ + b) ${shape}`, path, 'CPU µs/call': fmt(b.cpu * 1000, 1), 'wall µs/call': fmt(b.wall * 1000, 1),
          'GFLOP/s': fmt(gflops(2 * m * n * k, b.cpu), 1), 'vs zero-copy': `${fmt(b.cpu / t.fused!.cpu, 2)}× fused`,
        });
      }
      values[`dense fused/three ${shape}`] = t.three!.cpu / t.fused!.cpu;
    } finally {
      x.dispose(); w.dispose(); bias.dispose(); out.dispose();
    }
  }

  for (const n of ELEMENTWISE_N) {
    const x = rng.fill(n, -4, 4), y = rng.fill(n, -4, 4), out = new Float32Array(n);
    const wx = WasmArray.from(x), wy = WasmArray.from(y), wo = WasmArray.alloc(n);
    try {
      const ops: [string, () => unknown, () => unknown][] = [
        ['sigmoid', () => sigmoid(wx, wo), () => sigmoid(x, out)],
        ['hadamard', () => hadamard(wx, wy, wo), () => hadamard(x, y, out)],
      ];
      for (const [name, zeroFn, copyFn] of ops) {
        const t = timeAll(`${name} ${n}`, { zero: zeroFn, copy: copyFn });
        for (const [path, b] of [['zero-copy (WasmArray in/out)', t.zero!], ['copying (Float32Array in/out)', t.copy!]] as const) {
          rows.push({
            op: `${name} n=${n}`, path, 'CPU µs/call': fmt(b.cpu * 1000, 1), 'wall µs/call': fmt(b.wall * 1000, 1),
            'Melem/s': fmt(n / (b.cpu * 1000), 0), 'vs zero-copy': `${fmt(b.cpu / t.zero!.cpu, 2)}×`,
          });
        }
      }
    } finally {
      wx.dispose(); wy.dispose(); wo.dispose();
    }
  }
  releaseScratch();

  return {
    title: `wasmlp/kernels: zero-copy vs copying (${be.simd} build, 1 thread)`,
    rows,
    notes: [
      `CPU µs/call: this process's CPU time over a ${CPU_MS} ms loop; wall µs/call: tinybench median; each the best of ${ROUNDS} interleaved rounds; GFLOP/s, Melem/s and ratios are from CPU time`,
      `1-minute load average ${fmt(loadBefore, 1)} before, ${fmt(os.loadavg()[0]!, 1)} after, on ${os.cpus().length} logical cores (above the core count, wall times include waiting for a core)`,
      'raw kernel: matmul_f32_nn on arena pointers (no checks, no copies); zero-copy: matmul(WasmArray, WasmArray, …, { out: WasmArray });',
      'copying: Float32Array a, b and out, copied into reused wasm scratch and back (4 bytes per element each way); "new result array" also allocates C',
      'tt = transposeA && transposeB: the smaller operand is transposed into scratch by a JS loop, then the nt kernel runs',
      'elementwise ops are memory-bound, so the copies (two or three arrays in, one out) dominate the copying path there',
      'dense rows: the "vs" column is relative to the fused call; the three-call version makes two more passes over C (bias, then relu)',
    ],
    values,
  };
}

if (isMain(import.meta.url)) {
  console.log(header());
  printFamily(await run());
}
