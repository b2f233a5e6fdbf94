// Run by tests/fit-controls.test.ts: fits with a checkpoint (saveBestOnly on valLoss, the
// defaults) into <dir>/best.wasmlp until the parent kills it (SIGKILL). Prints "ready <steps per
// epoch>", then in every onEpochEnd (after the epoch's checkpoint, if any, was written)
// "epoch <n> <valLoss> <digest>", the digest being that of toJSON() at that moment. Exports its
// data so the parent can evaluate what it finds in the file.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Network } from '../../src/index.js';

export const BATCH = 32;

/** 128 training and 64 validation rows of 16 inputs with 4 classes that half follow the inputs (so the validation loss goes up and down). */
export function data(): { x: Float32Array; y: Uint8Array; xv: Float32Array; yv: Uint8Array } {
  const rows = (n: number, off: number): { x: Float32Array; y: Uint8Array } => {
    const x = new Float32Array(n * 16).map((_, i) => Math.sin((i + off * 16) * 0.7311));
    const y = Uint8Array.from({ length: n }, (_, r) => ((r + off) % 2 ? (x[r * 16]! > 0 ? 1 : 0) + (x[r * 16 + 1]! > 0 ? 2 : 0) : ((r + off) * 7919) % 4));
    return { x, y };
  };
  const t = rows(128, 0), v = rows(64, 128);
  return { x: t.x, y: t.y, xv: v.x, yv: v.y };
}

export const OPTIONS = {
  layers: [16, 96, 96, 4], activation: 'tanh', outputActivation: 'softmax', loss: 'sparseCrossEntropy',
  optimizer: { type: 'adam', learningRate: 0.02 }, seed: 3, threads: 1,
} as const;

export function digest(net: { toJSON(): unknown }): string {
  return createHash('sha256').update(JSON.stringify(net.toJSON())).digest('hex').slice(0, 16);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const dir = process.argv[2]!;
  const { x, y, xv, yv } = data();
  const net = new Network(OPTIONS);
  const out = (s: string): void => { process.stdout.write(s + '\n'); };
  out(`ready ${Math.ceil(128 / BATCH)}`);
  await net.fit(x, y, {
    epochs: 1_000_000, batchSize: BATCH, validationData: [xv, yv], metrics: [],
    checkpoint: { path: join(dir, 'best.wasmlp') },
    onEpochEnd: (l) => out(`epoch ${l.epoch} ${l.valLoss} ${digest(net)}`),
  });
}
