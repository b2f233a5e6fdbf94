// GFLOP/s of the wasm matmul kernels (nn, nt, tn) next to plain-JS loops on Float32Array.
//
// Convention: C[m,n] = op(A)[m,k] · op(B)[k,n]; m = rows of C (the batch), n = columns of C
// (the layer's outputs), k = the summed depth (the layer's inputs). So the "128×784×256"
// (batch 128, 784 inputs, 256 outputs) is m=128, n=256, k=784 here. Stored operands:
//   nn: A[m,k], B[k,n]    nt: A[m,k], B[n,k]    tn: A[k,m], B[k,n]    (all row-major)
// FLOPs per call = 2·m·n·k.
import { createBackend, relaxedSimdSupported, type Backend, type SimdVariant } from '../src/wasm/kernels.js';
import {
  RELAXED_UNSUPPORTED, SeededRandom, fmt, gflops, header, isMain, measure, measureInterleaved, printFamily, type FamilyResult,
} from './common.js';
import { peakProbe } from './peak.js';

type Layout = 'nn' | 'nt' | 'tn';
const LAYOUTS: Layout[] = ['nn', 'nt', 'tn'];

/** noJs: the plain-JS loop would take seconds per call; C is checked on sampled entries in float64 instead. */
interface Shape { m: number; n: number; k: number; what: string; noJs?: boolean }

export const SHAPES: Shape[] = [
  { m: 128, n: 256, k: 784, what: 'batch 128, layer 784→256' },
  { m: 256, n: 256, k: 256, what: '256³' },
  { m: 512, n: 512, k: 512, what: '512³' },
  { m: 1024, n: 1024, k: 1024, what: '1024³', noJs: true },
  { m: 128, n: 10, k: 128, what: 'batch 128, layer 128→10' },
];

const WASM_TIMING = { time: 500, iterations: 10, warmupTime: 150, warmupIterations: 5 };
// The JS loops are slow (512³ takes ~0.2–0.5 s per call): few iterations, short budget.
const JS_TIMING = { time: 300, iterations: 3, warmupTime: 0, warmupIterations: 1 };

/** Stored sizes (floats) of A and B for a layout. */
function dims(l: Layout, s: Shape): { aRows: number; aCols: number; bRows: number; bCols: number } {
  return {
    aRows: l === 'tn' ? s.k : s.m, aCols: l === 'tn' ? s.m : s.k,
    bRows: l === 'nt' ? s.n : s.k, bCols: l === 'nt' ? s.k : s.n,
  };
}

// ---------------- plain-JS references (same math: C = op(A)·op(B), C overwritten) ----------------

/** nn, i-k-j order: the inner loop streams a row of B and a row of C. */
function jsNN(C: Float32Array, A: Float32Array, B: Float32Array, m: number, n: number, k: number): void {
  C.fill(0);
  for (let i = 0; i < m; i++) {
    const ci = i * n, ai = i * k;
    for (let p = 0; p < k; p++) {
      const a = A[ai + p]!, bp = p * n;
      for (let j = 0; j < n; j++) C[ci + j]! += a * B[bp + j]!;
    }
  }
}

/** tn, i-k-j order: A is read down a column (A[p,i]), the inner loop streams B and C rows. */
function jsTN(C: Float32Array, A: Float32Array, B: Float32Array, m: number, n: number, k: number): void {
  C.fill(0);
  for (let i = 0; i < m; i++) {
    const ci = i * n;
    for (let p = 0; p < k; p++) {
      const a = A[p * m + i]!, bp = p * n;
      for (let j = 0; j < n; j++) C[ci + j]! += a * B[bp + j]!;
    }
  }
}

/**
 * nt, i-j-k order (row·row dot products). i-k-j would walk B[j,p] with stride k in the inner
 * loop; for Bᵀ the dot-product order is the one a plain-JS author writes, both rows contiguous.
 */
function jsNT(C: Float32Array, A: Float32Array, B: Float32Array, m: number, n: number, k: number): void {
  for (let i = 0; i < m; i++) {
    const ai = i * k, ci = i * n;
    for (let j = 0; j < n; j++) {
      const bj = j * k;
      let s = 0;
      for (let p = 0; p < k; p++) s += A[ai + p]! * B[bj + p]!;
      C[ci + j] = s;
    }
  }
}

const JS: Record<Layout, typeof jsNN> = { nn: jsNN, nt: jsNT, tn: jsTN };

/** max |C − ref| / max |ref| over 512 sampled entries, ref in float64 (for shapes without a JS run). */
function sampledRelErr(C: Float32Array, l: Layout, s: Shape, x: Inputs): number {
  const d = dims(l, s), A = x.A[l], B = x.B[l];
  let err = 0, mag = 0;
  for (let t = 0; t < 512; t++) {
    const i = (t * 7919) % s.m, j = (t * 104729) % s.n;
    let ref = 0;
    for (let p = 0; p < s.k; p++) {
      const a = l === 'tn' ? A[p * d.aCols + i]! : A[i * d.aCols + p]!;
      const b = l === 'nt' ? B[j * d.bCols + p]! : B[p * d.bCols + j]!;
      ref += a * b;
    }
    err = Math.max(err, Math.abs(C[i * s.n + j]! - ref));
    mag = Math.max(mag, Math.abs(ref));
  }
  return mag > 0 ? err / mag : err;
}

/** max |x − y| / max |y|. */
function relErr(x: Float32Array, y: Float32Array): number {
  let d = 0, s = 0;
  for (let i = 0; i < y.length; i++) {
    d = Math.max(d, Math.abs(x[i]! - y[i]!));
    s = Math.max(s, Math.abs(y[i]!));
  }
  return s > 0 ? d / s : d;
}

interface Inputs { A: Record<Layout, Float32Array>; B: Record<Layout, Float32Array> }

function inputs(s: Shape, seed: number): Inputs {
  const rng = new SeededRandom(seed);
  const A = {} as Record<Layout, Float32Array>, B = {} as Record<Layout, Float32Array>;
  for (const l of LAYOUTS) {
    const d = dims(l, s);
    A[l] = rng.fill(d.aRows * d.aCols, -1, 1);
    B[l] = rng.fill(d.bRows * d.bCols, -1, 1);
  }
  return { A, B };
}

type Probe = ReturnType<typeof peakProbe>;

/**
 * Times one wasm build on every layout of one shape; returns ms per call, the C it wrote and, with a
 * peak probe, the peak GFLOP/s measured in rounds interleaved with this product (so "% of peak"
 * compares two figures taken under the same conditions on a machine whose speed drifts).
 */
function timeWasm(be: Backend, s: Shape, x: Inputs, probe?: Probe): Record<Layout, { ms: number; C: Float32Array; peak?: number }> {
  const { kernels, arena } = be;
  // Allocate everything first: a later alloc may grow memory and detach earlier views.
  const ptr = {} as Record<Layout, { a: number; b: number; c: number }>;
  for (const l of LAYOUTS) ptr[l] = { a: arena.alloc(x.A[l].length), b: arena.alloc(x.B[l].length), c: arena.alloc(s.m * s.n) };
  for (const l of LAYOUTS) {
    arena.view(ptr[l].a, x.A[l].length).set(x.A[l]);
    arena.view(ptr[l].b, x.B[l].length).set(x.B[l]);
  }
  const out = {} as Record<Layout, { ms: number; C: Float32Array; peak?: number }>;
  const fns = { nn: kernels.matmul_f32_nn, nt: kernels.matmul_f32_nt, tn: kernels.matmul_f32_tn };
  for (const l of LAYOUTS) {
    const { a, b, c } = ptr[l];
    const d = dims(l, s);
    const f = fns[l];
    const sa = d.aCols * 4, sb = d.bCols * 4, sc = s.n * 4;
    const { m, n, k } = s;
    const name = `wasm ${be.simd} ${l} ${m}×${n}×${k}`;
    const call = (): void => f(c, a, b, m, n, k, sa, sb, sc, 0);
    if (probe) {
      const [pk, t] = measureInterleaved([[`peak ${be.simd}`, probe.run], [name, call]], { ...WASM_TIMING, time: 2 * WASM_TIMING.time });
      out[l] = { ms: t!.medianMs, C: arena.view(c, m * n).slice(), peak: gflops(probe.flops, pk!.medianMs) };
    } else {
      const t = measure(name, call, WASM_TIMING);
      out[l] = { ms: t.medianMs, C: arena.view(c, m * n).slice() };
    }
  }
  for (const l of LAYOUTS) { arena.free(ptr[l].a); arena.free(ptr[l].b); arena.free(ptr[l].c); }
  return out;
}

/** `peak`: GFLOP/s per build from bench/peak.ts, when it ran first (adds '% of peak' columns). */
export async function run(opts: { peak?: Partial<Record<SimdVariant, number>> } = {}): Promise<FamilyResult> {
  const relaxed = relaxedSimdSupported();
  const variants: SimdVariant[] = relaxed ? ['baseline', 'relaxed'] : ['baseline'];
  const backends = variants.map((v) => createBackend(v));
  const probes = opts.peak ? variants.map((v) => peakProbe(v)) : [];
  const rows: FamilyResult['rows'] = [];
  const values: Record<string, number> = {};
  for (const [si, s] of SHAPES.entries()) {
    const x = inputs(s, 1000 + si);
    const flops = 2 * s.m * s.n * s.k;
    const wasm = backends.map((be, i) => timeWasm(be, s, x, probes[i]));
    for (const l of LAYOUTS) {
      const C = new Float32Array(s.m * s.n);
      const A = x.A[l], B = x.B[l], f = JS[l];
      const { m, n, k } = s;
      const js = s.noJs ? null : measure(`js ${l} ${m}×${n}×${k}`, () => f(C, A, B, m, n, k), JS_TIMING);
      const jsG = js ? gflops(flops, js.medianMs) : NaN;
      const base = wasm[0]![l];
      const baseG = gflops(flops, base.ms);
      const row: Record<string, string | number> = {
        m: s.m, n: s.n, k: s.k, layout: l,
        'baseline ms': fmt(base.ms, 3), 'baseline GFLOP/s': fmt(baseG, 1),
      };
      values[`${l} ${s.m}×${s.n}×${s.k} baseline`] = baseG;
      if (base.peak) {
        row['baseline % peak'] = `${fmt((100 * baseG) / base.peak, 0)}%`;
        values[`${l} ${s.m}×${s.n}×${s.k} baseline peak`] = base.peak;
      }
      if (relaxed) {
        const rel = wasm[1]![l];
        const relG = gflops(flops, rel.ms);
        row['relaxed GFLOP/s'] = fmt(relG, 1);
        if (rel.peak) {
          row['relaxed % peak'] = `${fmt((100 * relG) / rel.peak, 0)}%`;
          values[`${l} ${s.m}×${s.n}×${s.k} relaxed peak`] = rel.peak;
        }
        values[`${l} ${s.m}×${s.n}×${s.k} relaxed`] = relG;
      } else {
        row['relaxed GFLOP/s'] = 'n/a';
      }
      row['JS ms'] = js ? fmt(js.medianMs, 2) : 'not run';
      row['JS GFLOP/s'] = js ? fmt(jsG, 2) : '–';
      row['baseline/JS'] = js ? `${fmt(baseG / jsG, 1)}×` : '–';
      if (relaxed) row['relaxed/JS'] = js ? `${fmt(gflops(flops, wasm[1]![l].ms) / jsG, 1)}×` : '–';
      row['max rel err'] = wasm.map((w) => (js ? relErr(w[l].C, C) : sampledRelErr(w[l].C, l, s, x)).toExponential(1)).join(' / ');
      rows.push(row);
    }
  }
  const notes = [
    'm×n×k: C[m,n] = op(A)[m,k]·op(B)[k,n], FLOPs = 2·m·n·k; 128×256×784 is the issue\'s "128×784×256" (batch 128, 784 inputs, 256 outputs), 128×10×128 the output layer of 784-256-128-10.',
    'GFLOP/s = 2·m·n·k / median time of one call (acc=0, C overwritten); single thread.',
    'JS: plain loops on Float32Array in the same process: nn and tn in i-k-j order, nt as i-j-k row·row dot products (contiguous for Bᵀ).',
    `max rel err = max|C_wasm − C_js| / max|C_js|${relaxed ? ' (baseline / relaxed)' : ''}: a check that the timed kernels compute the same product (1024³: no JS run, ~5 s a call; 512 sampled entries against float64 dot products).`,
  ];
  if (!relaxed) notes.push(RELAXED_UNSUPPORTED);
  if (opts.peak) notes.push('% peak: GFLOP/s over the same build\'s register-only peak (peak12 of the peak table: baseline mul + add, relaxed FMA), measured in rounds interleaved with that row\'s product, so both figures see the same machine conditions; the peak table\'s own figure can differ by ±20 % on a shared VM.');
  return { title: 'matmul: wasm kernels vs plain JS (GFLOP/s)', rows, notes, values };
}

if (isMain(import.meta.url)) {
  console.log(header());
  printFamily(await run());
}
