// The README's code examples run as written (with 'wasmlp' pointed at this checkout's source),
// and the values their comments promise are the ones the library computes.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Network } from '../src/index.js';
import { matmul } from '../src/kernels-api.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
const src = pathToFileURL(new URL('../src/index.ts', import.meta.url).pathname).href;
const kernelsSrc = pathToFileURL(new URL('../src/kernels-api.ts', import.meta.url).pathname).href;
const brainSrc = pathToFileURL(new URL('../src/brain/index.ts', import.meta.url).pathname).href;

describe('README examples', () => {
  it('has TypeScript examples that import from wasmlp', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    for (const b of blocks) expect(b).toMatch(/from 'wasmlp(\/kernels|\/brain)?'/);
  });

  it.each(blocks.map((b, i) => [i, b] as const))('example %i runs without throwing', async (_i, code) => {
    const dir = mkdtempSync(join(new URL('.', import.meta.url).pathname, '.readme-'));
    try {
      const file = join(dir, 'example.ts');
      writeFileSync(file, code.replace(/from 'wasmlp'/g, `from '${src}'`).replace(/from 'wasmlp\/kernels'/g, `from '${kernelsSrc}'`).replace(/from 'wasmlp\/brain'/g, `from '${brainSrc}'`) + '\nexport {};\n');
      await import(pathToFileURL(file).href);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the first example prints the values its comments give', () => {
    const net = new Network({ layers: [2, 4, 3, 2], activation: 'sigmoid', outputActivation: 'sigmoid', loss: 'mse', bias: false, reduction: 'sum', learningRate: 0.5, seed: 42 });
    net.setWeights([
      { weights: [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6], [0.7, 0.8]] },
      { weights: [[0.25, 0.3, 0.35, 0.4], [0.45, 0.5, 0.55, 0.6], [0.65, 0.7, 0.75, 0.8]] },
      { weights: [[0.3, 0.4, 0.5], [0.6, 0.7, 0.8]] },
    ]);
    const p = net.predict([1, 0]);
    expect(p[0]).toBeCloseTo(0.7199, 4);
    expect(p[1]).toBeCloseTo(0.8374, 3);
    const g = net.gradients([1, 0], [0, 1]);
    expect(g.loss).toBeCloseTo(0.2723, 4);
    expect(Array.from(g.layers[2]!.weights.slice(0, 4)).map((v) => +v.toFixed(4))).toEqual([0.0998, 0.1133, 0.1236, -0.0152]);
    expect(Array.from(g.input).map((v) => +v.toFixed(4))).toEqual([0.0043, 0.0053]);
    net.trainBatch([1, 0], [0, 1]);
    expect(Array.from(net.getWeights()[2]!.weights.slice(0, 4)).map((v) => +v.toFixed(4))).toEqual([0.2501, 0.3434, 0.4382, 0.6076]);
    net.dispose();
  });

  it('the training example stops on its error threshold and saves/loads bit-identically', async () => {
    const x = [[1, 1], [1, 0], [0, 1], [0, 0]];
    const y = [[1, 1], [0, 1], [1, 0], [0, 0]];
    const net = new Network({ layers: [2, 4, 3, 2], activation: 'sigmoid', loss: 'mse', seed: 7, optimizer: { type: 'adam', learningRate: 0.05 } });
    const h = await net.fit(x, y, { epochs: 2000, batchSize: 4, errorThreshold: 0.001 });
    expect(h.stopReason).toBe('errorThreshold');
    expect(h.loss.at(-1)).toBeLessThan(0.001);
    expect(net.evaluate(x, y).accuracy).toBe(1);
    const again = Network.fromJSON(JSON.parse(JSON.stringify(net.toJSON())));
    const p = again.predict([1, 0]);
    expect(p).toEqual(net.predict([1, 0]));
    expect(p[0]).toBeCloseTo(0.03, 1);
    expect(p[1]).toBeCloseTo(0.97, 1);
    net.dispose(); again.dispose();
  });

  it('the AdamW example decays the weights by 0.95 a step and prints the summary its comments give', () => {
    const net = new Network({ layers: [3, 2], seed: 1, optimizer: { type: 'adamw', learningRate: 0.1, weightDecay: 0.5 } });
    const w0 = net.getWeights()[0]!.weights.slice();
    const b0 = net.getWeights()[0]!.bias!.slice();
    net.trainBatch([[0, 0, 0]], [[1, 0]]);
    net.trainBatch([[0, 0, 0]], [[1, 0]]);
    const w = net.getWeights()[0]!;
    // (1 − lr·wd)² = 0.95² in float32 steps: within a few float32 roundings of 0.9025
    w.weights.forEach((v, i) => expect(Math.abs(v / w0[i]! - 0.9025)).toBeLessThan(1e-6));
    expect(Array.from(w.bias!)).not.toEqual(Array.from(b0)); // the biases learn, undecayed
    expect(net.summary().split('\n')).toEqual([
      '#  layer  activation  output  trainable  non-trainable',
      '-  -----  ----------  ------  ---------  -------------',
      '0  input                   3',
      '1  dense  sigmoid          2          8              0',
      'parameters: 8 (trainable 8, non-trainable 0)',
    ]);
    net.dispose();
  });

  it('the kernels example computes the values its comments give', () => {
    const a = Float32Array.from([1, 2, 3, 4, 5, 6]), b = Float32Array.from([1, 0, 0, 1, 1, 1]);
    expect(Array.from(matmul(a, b, 2, 3, 2))).toEqual([4, 5, 10, 11]);
    expect(Array.from(matmul(a, a, 2, 3, 2, { transposeB: true }))).toEqual([14, 32, 32, 77]);
    // relu(A·Wᵀ + b): [0.5 − 2 + 6, 1 + 2 − 3 + 1, 2 − 5 + 12, 4 + 5 − 6 + 1]
    const W = Float32Array.from([0.5, -1, 2, 1, 1, -1]);
    expect(Array.from(matmul(a, W, 2, 3, 2, { transposeB: true, bias: Float32Array.from([0, 1]), activation: 'relu' }))).toEqual([4.5, 1, 9, 4]);
  });
});
