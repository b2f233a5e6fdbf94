// Per-sample training with brain.js semantics (sigmoid, learning rate 0.3, momentum 0.1, one
// update per sample, brain.js's error every pass): wasmlp/brain against brain.js 2.0.0-beta.24 and
// brain.js 1.6.1 (devDependencies) at 784-128-10 and at XOR size (2-3-1). Every contender starts
// from the same weights (one brain.js-initialised network, loaded through each library's fromJSON
// before each timed call, outside the timing), trains on the same data for the same number of
// passes, errorThresh too small to stop early. Times are medians of the timed calls after warm-up
// calls; samples/s = passes × samples / time. Reports only.
import { NeuralNetwork } from '../src/brain/index.js';
import { brain1From, brain2, type BrainJsNet } from '../tests/ref/brainjs.js';
import { SeededRandom, fmt, header, isMain, printFamily, type FamilyResult } from './common.js';

interface Shape {
  name: string;
  hidden: number[];
  data: { input: number[]; output: number[] }[];
  /** Passes per timed call. */
  passes: number;
  warmup: number;
  reps: number;
}

const XOR = [
  { input: [0, 0], output: [0] }, { input: [0, 1], output: [1] },
  { input: [1, 0], output: [1] }, { input: [1, 1], output: [0] },
];

function mnistLike(n: number, seed: number): { input: number[]; output: number[] }[] {
  const rng = new SeededRandom(seed);
  return Array.from({ length: n }, () => {
    const label = Math.floor(rng.next() * 10);
    return { input: Array.from(rng.fill(784)), output: Array.from({ length: 10 }, (_, j) => (j === label ? 1 : 0)) };
  });
}

export const SHAPES: Shape[] = [
  { name: '784-128-10', hidden: [128], data: mnistLike(64, 11), passes: 2, warmup: 2, reps: 5 },
  { name: '2-3-1 (XOR)', hidden: [3], data: XOR, passes: 10000, warmup: 5, reps: 15 },
];

/** A brain.js 2 network with its own random init, seeded so every run starts from the same weights. */
function startWeights(s: Shape): ReturnType<BrainJsNet['toJSON']> {
  const rng = new SeededRandom(42);
  const random = Math.random;
  Math.random = () => rng.next();
  try {
    const b = new brain2.NeuralNetwork({ hiddenLayers: s.hidden });
    b.train(s.data.slice(0, 1), { iterations: 1 }); // sizes and initialises the network
    return b.toJSON();
  } finally {
    Math.random = random;
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

interface Contender { library: string; load: () => { train: BrainJsNet['train'] } }
interface Timing { library: string; ms: number; cpuMs: number; error: number }

/**
 * Median wall and CPU ms of `train` for each contender, each call on a fresh copy of the start
 * weights (loading is not timed). Calls are interleaved (A B C A B C …) so load from other
 * processes on the machine falls on all contenders alike.
 */
function time(contenders: Contender[], s: Shape, opts: object): Timing[] {
  const wall = contenders.map((): number[] => []);
  const cpu = contenders.map((): number[] => []);
  const errors = contenders.map(() => NaN);
  for (let i = 0; i < s.warmup + s.reps; i++) {
    contenders.forEach((c, k) => {
      const net = c.load();
      const u0 = process.cpuUsage();
      const t0 = performance.now();
      const r = net.train(s.data, opts);
      const ms = performance.now() - t0;
      const u = process.cpuUsage(u0);
      if (r.iterations !== s.passes) throw new Error(`bench brain: ${c.library} ran ${r.iterations} passes, expected ${s.passes}`);
      errors[k] = r.error;
      if (i >= s.warmup) { wall[k]!.push(ms); cpu[k]!.push((u.user + u.system) / 1000); }
      (net as { dispose?: () => void }).dispose?.();
    });
  }
  return contenders.map((c, k) => ({ library: c.library, ms: median(wall[k]!), cpuMs: median(cpu[k]!), error: errors[k]! }));
}

export async function run(): Promise<FamilyResult> {
  const rows: Record<string, string | number>[] = [];
  const values: Record<string, number> = {};
  const notes: string[] = [];
  for (const s of SHAPES) {
    const start = startWeights(s);
    const opts = { iterations: s.passes, errorThresh: 1e-12, learningRate: 0.3, momentum: 0.1 };
    const samples = s.passes * s.data.length;
    const results = time([
      { library: 'wasmlp/brain', load: () => new NeuralNetwork().fromJSON(start) },
      { library: 'brain.js 2.0.0-beta.24', load: () => new brain2.NeuralNetwork().fromJSON(start)! },
      { library: 'brain.js 1.6.1', load: () => brain1From(start) },
    ], s, opts);
    const rate = (ms: number): number => samples / (ms / 1000);
    const wasm = results[0]!;
    for (const r of results) {
      rows.push({
        network: s.name,
        library: r.library,
        'samples/s': Math.round(rate(r.ms)),
        'µs/sample': fmt((r.ms * 1000) / samples, 3),
        'wasmlp ×': r === wasm ? '' : `${fmt(r.ms / wasm.ms, 1)}×`,
        'samples/s (CPU time)': Math.round(rate(r.cpuMs)),
        'wasmlp × (CPU)': r === wasm ? '' : `${fmt(r.cpuMs / wasm.cpuMs, 1)}×`,
        'final error': r.error.toPrecision(6),
      });
      values[`${s.name} ${r.library}`] = rate(r.ms);
    }
    notes.push(`${s.name}: ${s.data.length} samples × ${s.passes} passes per timed call (${samples} samples), ${s.warmup} warm-up + ${s.reps} timed calls each, interleaved.`);
  }
  notes.push('same start weights, data and passes for all three; the final errors agree to ~1e-6 (wasm sums in f32, brain.js in f64).');
  notes.push('wasmlp/brain runs all passes of a train() call in one wasm call (brain_train_f32); brain.js calls into JS per sample.');
  notes.push('CPU time (process.cpuUsage) next to wall time: on a shared machine it leaves out time the process waited for a core.');
  return { title: 'brain: per-sample training (brain.js semantics: sigmoid, lr 0.3, momentum 0.1)', rows, notes, values };
}

if (isMain(import.meta.url)) {
  console.log(header());
  printFamily(await run());
}
