// Run by tests/files.test.ts: saves one network over and over, alternating a .wasmlp and a .json
// file, with one training step between saves, until the parent kills it (SIGKILL). Starts from the
// .wasmlp file when it exists (so every round also proves the survivor loads). Prints
// "ready <iterations>", then "begin <format> <iterations>" before and "saved <format> <iterations>
// <ms>" after every save; <iterations> (the optimizer's step count) identifies the version.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Network } from '../../src/index.js';

const dir = process.argv[2]!;
const bin = join(dir, 'model.wasmlp'), json = join(dir, 'model.json');
const net = existsSync(bin)
  ? await Network.load(bin)
  : new Network({ layers: [256, 512, 256], activation: 'tanh', optimizer: 'adam', seed: 1, threads: 1 });
const iterations = (): number => net.toJSON().optimizer.iterations;
const x = new Float32Array(4 * 256).map((_, i) => Math.sin(i)), y = new Float32Array(4 * 256).map((_, i) => Math.cos(i) / 2 + 0.5);
if (!existsSync(bin)) { await net.save(bin); await net.save(json); }
const out = (s: string): void => { process.stdout.write(s + '\n'); };
let it = iterations();
out(`ready ${it}`);
for (;;) {
  net.trainBatch(x, y);
  it++;
  for (const [name, path] of [['wasmlp', bin], ['json', json]] as const) {
    out(`begin ${name} ${it}`);
    const t0 = performance.now();
    await net.save(path);
    out(`saved ${name} ${it} ${(performance.now() - t0).toFixed(1)}`);
  }
}
