// Inference latency: predict of 784-256-128-10 (relu, relu, softmax) at batch 1, 8, 32 and 1024,
// median per call, wasmlp with threads 1 and the default, through predict(x, { out }); and the
// small-m kernels that decide Dense.forward's cut-offs (gemv_f32_nt, gemv_f32_nt_hsum and the
// packed matmul_f32_ep, one thread, interleaved). bench/peers.ts adds onnxruntime-node (one
// intra-op thread) and tfjs-wasm on the same weights. `tsx bench/inference.ts` runs it alone.
import { Network } from '../src/model.js';
import { createBackend } from '../src/wasm/kernels.js';
import { SeededRandom, fmt, formatTable, header, isMain, measureInterleaved, printFamily, type FamilyResult } from './common.js';

export const SIZES = [784, 256, 128, 10];
export const BATCHES = [1, 8, 32, 1024];

/** A peer that predicts a batch (rows × 784 floats) and resolves when the outputs are on the JS side. */
export interface Peer { name: string; predict: (x: Float32Array, rows: number) => Promise<unknown> | unknown; dispose?: () => unknown }

/** The network every contender runs (the same weights through getWeights / toONNX). */
export function makeNet(threads: number | 'auto'): Network {
  return new Network({ layers: SIZES, activation: 'relu', outputActivation: 'softmax', seed: 3, threads });
}

/** Per-call medians (µs), interleaved rounds; async peers are awaited call by call. */
async function timeAll(tasks: [string, () => unknown][], rounds: number, perRoundMs: number): Promise<number[]> {
  const samples: number[][] = tasks.map(() => []);
  for (const [, fn] of tasks) for (let i = 0; i < 5; i++) await fn(); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (let t = 0; t < tasks.length; t++) {
      const fn = tasks[t]![1];
      const until = performance.now() + perRoundMs;
      let n = 0;
      while (n < 3 || performance.now() < until) {
        const t0 = performance.now();
        const p = fn();
        if (p instanceof Promise) await p;
        samples[t]!.push(performance.now() - t0);
        n++;
      }
    }
  }
  return samples.map((s) => { s.sort((a, b) => a - b); return s[s.length >> 1]! * 1000; });
}

/** Rows of predict latency for each batch: wasmlp 1 thread, default threads, and the peers; ratios against `reference`. */
export async function predictRows(peers: Peer[] = [], reference?: string, values: Record<string, number> = {}): Promise<Record<string, string | number>[]> {
  const rnd = new SeededRandom(7);
  const n1 = makeNet(1), nA = makeNet('auto');
  const rows: Record<string, string | number>[] = [];
  for (const b of BATCHES) {
    const x = rnd.fill(b * SIZES[0]!);
    const out = new Float32Array(b * 10);
    const tasks: [string, () => unknown][] = [
      ['wasmlp 1 thread', () => n1.predict(x, { out })],
      [`wasmlp default (${nA.options.threads})`, () => nA.predict(x, { out })],
      ...peers.map((p): [string, () => unknown] => [p.name, () => p.predict(x, b)]),
    ];
    const med = await timeAll(tasks, b >= 1024 ? 4 : 8, b >= 1024 ? 250 : 120);
    const ref = reference ? med[tasks.findIndex(([n]) => n === reference)] : undefined;
    tasks.forEach(([name], i) => {
      values[`${i === 0 ? 'wasmlp 1 thread' : i === 1 ? 'wasmlp default' : name} b${b}`] = med[i]!;
      rows.push({
        batch: b, implementation: name, 'µs/call': fmt(med[i]!, 1), 'µs/sample': fmt(med[i]! / b, 2),
        ...(ref !== undefined ? { [`vs ${reference}`]: `${fmt(ref / med[i]!, 2)}×` } : {}),
      });
    });
  }
  n1.dispose(); nA.dispose();
  return rows;
}

/** The forward pass of 784-256-128-10 through each small-m kernel, one thread, m = 1, 2, 4, 8, 16. */
export function kernelRows(): Record<string, string | number>[] {
  const be = createBackend();
  const k = be.kernels, ar = be.arena;
  const rnd = new SeededRandom(8);
  const W: number[] = [], B: number[] = [];
  for (let l = 1; l < SIZES.length; l++) {
    W.push(ar.alloc(SIZES[l]! * SIZES[l - 1]!)); ar.view(W[l - 1]!, SIZES[l]! * SIZES[l - 1]!).set(rnd.fill(SIZES[l]! * SIZES[l - 1]!, -0.1, 0.1));
    B.push(ar.alloc(SIZES[l]!));
  }
  const acts = [3, 3, 0];
  const rows: Record<string, string | number>[] = [];
  for (const m of [1, 2, 4, 8, 16]) {
    const X = ar.alloc(m * 784); ar.view(X, m * 784).set(rnd.fill(m * 784));
    const Z = SIZES.map((s) => ar.alloc(m * s)), A = SIZES.map((s) => ar.alloc(m * s));
    const pass = (which: 0 | 1 | 2) => (): void => {
      let inp = X;
      for (let l = 1; l < SIZES.length; l++) {
        const n = SIZES[l]!, kk = SIZES[l - 1]!, o2 = acts[l - 1] ? A[l]! : 0;
        if (which === 0) k.matmul_f32_ep(1, Z[l]!, inp, W[l - 1]!, m, n, kk, kk * 4, kk * 4, n * 4, 0, B[l - 1]!, acts[l - 1]!, o2, 0, 0, 0);
        else if (which === 1) k.gemv_f32_nt(Z[l]!, inp, W[l - 1]!, m, n, kk, kk * 4, kk * 4, n * 4, B[l - 1]!, acts[l - 1]!, o2, 0);
        else k.gemv_f32_nt_hsum(Z[l]!, inp, W[l - 1]!, m, n, kk, kk * 4, kk * 4, n * 4, B[l - 1]!, acts[l - 1]!, o2, 0);
        inp = o2 || Z[l]!;
      }
    };
    const [p, g, h] = measureInterleaved([['packed', pass(0)], ['gemv', pass(1)], ['hsum', pass(2)]], { time: 900, rounds: 6 });
    rows.push({
      rows: m, 'matmul_f32_ep µs': fmt(p!.medianMs * 1000, 1), 'gemv_f32_nt µs': fmt(g!.medianMs * 1000, 1), 'gemv_f32_nt_hsum µs': fmt(h!.medianMs * 1000, 1),
      'gemv vs packed': `${fmt(p!.medianMs / g!.medianMs, 2)}×`, 'hsum vs packed': `${fmt(p!.medianMs / h!.medianMs, 2)}×`,
    });
  }
  return rows;
}

export async function run(peers: Peer[] = [], reference?: string): Promise<FamilyResult> {
  const kernels = kernelRows();
  const values: Record<string, number> = {};
  const predict = await predictRows(peers, reference, values);
  return {
    values,
    title: `inference ${SIZES.join('-')} (relu, relu, softmax): predict(x, { out }) per call, and the forward pass per small-m kernel (one thread)`,
    rows: predict,
    notes: [
      'medians of per-call times over interleaved rounds (awaited for async peers); wasmlp batches of 1 and 2 rows run gemv_f32_nt_hsum (on any thread count)',
      'the forward pass through each small-m kernel (three layers, bias and relu fused, no softmax, no JS; one thread; gemv_f32_nt has the packed path\'s bits, gemv_f32_nt_hsum does not):\n\n' + formatTable(kernels),
    ],
  };
}

if (isMain(import.meta.url)) {
  console.log(header());
  printFamily(await run());
}
