// wasmlp/brain run(): networks of ≥ 1024 weights take gemv_f32_nt_hsum layer by layer, smaller
// ones brain_run_f32. Both against a float64 forward pass of the network's own toJSON() weights.
import { describe, expect, it } from 'vitest';
import { NeuralNetwork } from '../src/brain/index.js';

function refRun(json: { layers: unknown[] }, input: number[], act: string): number[] {
  let v = input;
  for (let l = 1; l < json.layers.length; l++) {
    const L = json.layers[l] as { weights: number[][]; biases: number[] };
    v = L.weights.map((w, i) => {
      const z = w.reduce((s, wi, k) => s + wi * v[k]!, L.biases[i]!);
      return act === 'sigmoid' ? 1 / (1 + Math.exp(-z)) : act === 'relu' ? Math.max(0, z) : act === 'tanh' ? Math.tanh(z) : z > 0 ? z : 0.01 * z;
    });
  }
  return v;
}

describe.each(['sigmoid', 'relu', 'leaky-relu', 'tanh'] as const)('brain run() [%s]', (act) => {
  it.each([[[30, 20], 100], [[3], 2]] as const)('hidden %j, %i inputs: within 2e-7 of float64', (hidden, nIn) => {
    const data = Array.from({ length: 4 }, (_, s) => ({
      input: Array.from({ length: nIn }, (_, i) => Math.sin(i * (s + 1) + 0.5)),
      output: Array.from({ length: 10 }, (_, j) => (j === s ? 1 : 0)),
    }));
    const b = new NeuralNetwork({ hiddenLayers: [...hidden], activation: act });
    b.train(data, { iterations: 3 });
    const json = b.toJSON();
    for (const d of data) {
      const got = b.run(d.input) as Float32Array;
      const want = refRun(json, d.input, act);
      want.forEach((w, i) => expect(Math.abs(got[i]! - w)).toBeLessThanOrEqual(2e-7 + 1e-6 * Math.abs(w)));
    }
  });
});
