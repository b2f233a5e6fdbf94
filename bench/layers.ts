// The cost of the layers of a layer list: one training step of 784-256-128-10 (relu, softmax +
// cross-entropy, SGD, batch 128) with a batchNormalization and a dropout after the first dense
// layer, next to the same step without them, interleaved in one run (the issue asks ≤ 1.3×);
// also l2 on every dense layer, and each extra layer alone. Numbers only: nothing fails on a timing.
import { Network } from '../src/model.js';
import type { LayerInput } from '../src/options.js';
import { autoThreads } from '../src/wasm/threads.js';
import { SeededRandom, fmt, header, isMain, measureInterleaved, printFamily, type FamilyResult, type Timing } from './common.js';
import { BATCH, SIZES } from './train.js';

const TIMING = { time: 2000, iterations: 20, warmupTime: 200, warmupIterations: 5 };

/** The stacks compared, each a variant of 784-256-128-10. */
export const VARIANTS: [name: string, layers: LayerInput[]][] = [
  ['dense only', [784, 256, 128, 10]],
  ['+ batchNormalization + dropout(0.2)', [784, 256, { type: 'batchNormalization' }, { type: 'dropout', rate: 0.2 }, 128, 10]],
  ['+ batchNormalization', [784, 256, { type: 'batchNormalization' }, 128, 10]],
  ['+ dropout(0.2)', [784, 256, { type: 'dropout', rate: 0.2 }, 128, 10]],
  ['+ layerNormalization', [784, 256, { type: 'layerNormalization' }, 128, 10]],
  ['l2 1e-4 on every dense layer', [784, { type: 'dense', units: 256, l2: 1e-4 }, { type: 'dense', units: 128, l2: 1e-4 }, { type: 'dense', units: 10, l2: 1e-4 }]],
];

export async function run(threads: number | 'auto' = 'auto'): Promise<FamilyResult> {
  const rng = new SeededRandom(11);
  const x = rng.fill(BATCH * SIZES[0]!, 0, 1);
  const y = new Float32Array(BATCH * 10);
  for (let r = 0; r < BATCH; r++) y[r * 10 + Math.floor(rng.next() * 10)] = 1;
  const nets = VARIANTS.map(([, layers]) => new Network<LayerInput[]>({
    layers, activation: 'relu', outputActivation: 'softmax', loss: 'crossEntropy', optimizer: { type: 'sgd', learningRate: 0.01 }, seed: 1, threads,
  }));
  const times = measureInterleaved(nets.map((n, i) => [VARIANTS[i]![0], () => n.trainBatch(x, y)]), TIMING) as Timing[];
  for (const n of nets) n.dispose();
  const base = times[0]!.medianMs;
  const rows = times.map((t, i) => ({
    layers: VARIANTS[i]![0],
    'ms/step (median)': fmt(t.medianMs, 2),
    'ms/step (mean)': `${fmt(t.meanMs, 2)} ±${fmt(t.rme, 1)}%`,
    'vs dense only': `${fmt(t.medianMs / base, 2)}×`,
    samples: t.samples,
  }));
  const nThreads = threads === 'auto' ? autoThreads() : threads;
  return {
    title: `layers: one SGD step of ${SIZES.join('-')} with extra layers, batch ${BATCH}, threads ${threads} (${nThreads})`,
    rows,
    notes: [
      'every variant: relu hidden, softmax + crossEntropy, SGD lr 0.01, seed 1; the extra layers sit after the 256-unit dense layer; same batch every step.',
      'rounds interleaved (one sample of each variant per round), so drift in machine speed hits every variant alike.',
    ],
    values: Object.fromEntries(times.map((t, i) => [VARIANTS[i]![0], t.medianMs])),
  };
}

if (isMain(import.meta.url)) {
  console.log(header());
  printFamily(await run());
}
