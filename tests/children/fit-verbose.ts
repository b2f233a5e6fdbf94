// Run by tests/fit-controls.test.ts with stdout piped: fit with verbose: true (one line per
// epoch, no progress bar), early stopping with restoreBestWeights and a checkpoint into <dir>.
import { join } from 'node:path';
import { Network } from '../../src/index.js';

const dir = process.argv[2]!;
const x = Array.from({ length: 40 }, (_, i) => [Math.sin(i), Math.cos(i * 1.3)]);
const y = x.map(([a, b]) => (a! * b! > 0 ? [1, 0] : [0, 1]));
const net = new Network({ layers: [2, 8, 2], activation: 'tanh', outputActivation: 'softmax', optimizer: { type: 'adam', learningRate: 0.05 }, seed: 4 });
await net.fit(x, y, {
  epochs: 5, batchSize: 8, validationSplit: 0.25, verbose: true,
  earlyStopping: { patience: 10, restoreBestWeights: true },
  checkpoint: { path: join(dir, 'verbose.json') },
});
net.dispose();
