// The worked example of seed article 000 (sections 4 and 7): network 2-4-3-2, sigmoid
// everywhere, no biases, E = ½Σ(target − out)², one sample, learning rate 0.5. Expected values
// are the exact float64 values in tests/fixtures/seed-000-worked-example.json (the article
// rounds every step to 4 decimals). Tolerance: 1e-5 absolute on every value.
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { Network } from '../src/index.js';
import { flat } from './ref/network.js';

const g = JSON.parse(readFileSync(new URL('./fixtures/seed-000-worked-example.json', import.meta.url), 'utf8'));
const TOL = 1e-5;

function expectClose(actual: ArrayLike<number>, expected: number[] | number[][], what: string): void {
  const e = flat(expected);
  expect(actual.length, what).toBe(e.length);
  for (let i = 0; i < e.length; i++) {
    expect(Math.abs(actual[i]! - e[i]!), `${what}[${i}]: got ${actual[i]}, expected ${e[i]}`).toBeLessThanOrEqual(TOL);
  }
}

function seedNetwork(): Network {
  const net = new Network({
    layers: g.layers, activation: 'sigmoid', outputActivation: 'sigmoid', loss: 'mse',
    bias: false, reduction: 'sum', learningRate: g.learningRate,
  });
  net.setWeights([{ weights: g.weights.W_b }, { weights: g.weights.W_c }, { weights: g.weights.W_d }]);
  return net;
}

describe('seed 000 worked example (2-4-3-2 sigmoid, no bias, mse)', () => {
  const net = seedNetwork();
  afterAll(() => net.dispose());

  it('forward: net and out of every layer', () => {
    const t = net.trace(g.input);
    expectClose(t.layers[0]!.net, g.forward.net_b, 'net_b');
    expectClose(t.layers[0]!.out, g.forward.out_b, 'out_b');
    expectClose(t.layers[1]!.net, g.forward.net_c, 'net_c');
    expectClose(t.layers[1]!.out, g.forward.out_c, 'out_c');
    expectClose(t.layers[2]!.net, g.forward.net_d, 'net_d');
    expectClose(t.layers[2]!.out, g.forward.out_d, 'out_d');
    expectClose(net.predict(g.input), g.forward.out_d, 'predict');
  });

  it('error and every backward vector and gradient matrix', () => {
    const gr = net.gradients(g.input, g.target);
    expect(Math.abs(gr.loss - g.error)).toBeLessThanOrEqual(TOL);
    const [b, c, d] = gr.layers;
    expectClose(d!.delta, g.backward.dE_dnet_d, 'dE/dnet_d');
    expectClose(d!.weights, g.backward.grad_W_d, 'grad W_d');
    // The article prints dE/dout_c = [0.0303, 0.0426, 0.0529]; its third entry is an arithmetic
    // slip: 0.5·0.1452 + 0.8·(−0.0221) = 0.0549. We assert the correct 0.05488796…, which also
    // carries into dE/dnet_c[2], the third row of grad W_c and dE/dout_b.
    expectClose(c!.outputGrad!, g.backward.dE_dout_c, 'dE/dout_c');
    expect(c!.outputGrad![2]).toBeCloseTo(0.0549, 4);
    expectClose(c!.delta, g.backward.dE_dnet_c, 'dE/dnet_c');
    expectClose(c!.weights, g.backward.grad_W_c, 'grad W_c');
    expectClose(b!.outputGrad!, g.backward.dE_dout_b, 'dE/dout_b');
    expectClose(b!.delta, g.backward.dE_dnet_b, 'dE/dnet_b');
    expectClose(b!.weights, g.backward.grad_W_b, 'grad W_b');
    expectClose(gr.input, g.backward.dE_dinput, 'dE/dinput');
    expect(b!.bias).toBeNull();
  });

  it('gradients() changes nothing; one SGD step (lr 0.5) gives the article\'s new weights', () => {
    const before = net.getWeights();
    net.gradients(g.input, g.target);
    expect(net.getWeights()).toEqual(before);
    const loss = net.trainBatch(g.input, g.target);
    expect(Math.abs(loss - g.error)).toBeLessThanOrEqual(TOL); // the loss before the step
    const w = net.getWeights();
    expectClose(w[0]!.weights, g.after_one_step.W_b, 'W_b after');
    expectClose(w[1]!.weights, g.after_one_step.W_c, 'W_c after');
    expectClose(w[2]!.weights, g.after_one_step.W_d, 'W_d after');
    expect(w.map((l) => [l.rows, l.cols])).toEqual([[4, 2], [3, 4], [2, 3]]);
  });
});

describe('seed 000 section 5.1: the swap task', () => {
  it('learns to switch its two inputs from a seeded init', () => {
    const x: number[][] = g.swap_task.samples.map((s: { input: number[] }) => s.input);
    const y: number[][] = g.swap_task.samples.map((s: { target: number[] }) => s.target);
    const net = new Network({
      layers: [2, 4, 3, 2], activation: 'sigmoid', outputActivation: 'sigmoid', loss: 'mse',
      bias: false, reduction: 'sum', learningRate: 2, seed: 7,
    });
    let error = Infinity;
    for (let epoch = 0; epoch < 20_000 && error >= 0.01; epoch++) error = net.trainBatch(x, y);
    // total error = ½ Σ_samples Σ_outputs (target − out)², as in the article
    const out = net.predict(x);
    const total = out.reduce((s, row, r) => s + row.reduce((t, o, i) => t + 0.5 * (y[r]![i]! - o) ** 2, 0), 0);
    expect(total).toBeLessThan(0.01);
    out.forEach((row, r) => row.forEach((o, i) => expect(o > 0.5, `sample ${r} output ${i} = ${o}`).toBe(y[r]![i] === 1)));
    net.dispose();
  });
});
