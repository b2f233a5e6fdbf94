// Seed article 001: a four-layer network (input → hidden 1 → hidden 2 → softmax output) with
// cross-entropy loss and biases, run backward on a batch of 3 samples with the gradients summed
// over the samples. The article's figures are images, so the sizes here (3-5-4-3) and the data
// are ours; the expected values come from tests/ref/network.ts (plain float64 loops) and from
// float64 central differences of that reference's loss.
import { describe, expect, it } from 'vitest';
import { Network } from '../src/index.js';
import { finiteDiff, flat, maxRelErr, rand, refRun, type RefNet } from './ref/network.js';

const SIZES = [3, 5, 4, 3];
const X = [[0.9, -0.4, 0.2], [-0.3, 0.8, 0.5], [0.1, 0.05, -0.7]];
const Y = [[1, 0, 0], [0, 0, 1], [0, 1, 0]]; // one-hot

for (const hidden of ['sigmoid', 'relu', 'tanh'] as const) {
  describe(`seed 001: ${SIZES.join('-')}, ${hidden} hidden, softmax + cross-entropy, bias, batch of 3, sum`, () => {
    const r = rand(1001);
    const W = SIZES.slice(1).map((n, l) => Array.from({ length: n }, () => Array.from({ length: SIZES[l]! }, () => Math.fround(r() * 2 - 1))));
    const b = SIZES.slice(1).map((n) => Array.from({ length: n }, () => Math.fround(r() - 0.5)));
    const ref: RefNet = { sizes: SIZES, acts: [hidden, hidden, 'softmax'], loss: 'crossEntropy', reduction: 'sum', alpha: 0, W, b };
    const net = new Network({ layers: SIZES, activation: hidden, outputActivation: 'softmax', loss: 'crossEntropy', bias: true, reduction: 'sum' });
    net.setWeights(W.map((w, l) => ({ weights: w, bias: b[l]! })));
    const gr = net.gradients(X, Y);
    const want = refRun(ref, X, Y);

    it('loss, ∇W, ∇b, δ and dE/dx match the float64 reference (1e-5 relative; entries below 1% of the array maximum are held to 1e-7 of it)', () => {
      expect(Math.abs(gr.loss - want.loss) / want.loss).toBeLessThan(1e-5);
      gr.layers.forEach((l, i) => {
        expect(maxRelErr(l.weights, want.gW[i]!, -0.01), `∇W${i}`).toBeLessThan(1e-5);
        expect(maxRelErr(l.bias!, want.gb[i]!, -0.01), `∇b${i}`).toBeLessThan(1e-5);
        expect(maxRelErr(l.delta, want.delta[i]!, -0.01), `δ${i}`).toBeLessThan(1e-5);
      });
      expect(maxRelErr(gr.input, want.gx, -0.01), 'dE/dx').toBeLessThan(1e-5);
    });

    it('and match float64 central differences (1e-3 relative)', () => {
      const fd = finiteDiff(ref, X.map((row) => row.slice()), Y);
      gr.layers.forEach((l, i) => {
        expect(maxRelErr(l.weights, fd.gW[i]!, 1e-7), `∇W${i}`).toBeLessThan(1e-3);
        expect(maxRelErr(l.bias!, fd.gb[i]!, 1e-7), `∇b${i}`).toBeLessThan(1e-3);
      });
      expect(maxRelErr(gr.input, fd.gx, 1e-7), 'dE/dx').toBeLessThan(1e-3);
    });

    it('the bias gradient is the column sum of δ over the 3 samples; summed, not averaged', () => {
      gr.layers.forEach((l) => {
        const n = l.bias!.length;
        for (let j = 0; j < n; j++) {
          const colsum = l.delta[j]! + l.delta[n + j]! + l.delta[2 * n + j]!;
          expect(l.bias![j]).toBeCloseTo(colsum, 6);
        }
      });
      // the output δ is p − y per sample (softmax + cross-entropy), unscaled with reduction 'sum'
      const p = flat(net.predict(X));
      const d = gr.layers[2]!.delta;
      flat(Y).forEach((t, i) => expect(d[i]).toBeCloseTo(p[i]! - t, 6));
      // 'mean' gives exactly a third of every gradient
      const mean = new Network({ layers: SIZES, activation: hidden, outputActivation: 'softmax', reduction: 'mean' });
      mean.setWeights(W.map((w, l) => ({ weights: w, bias: b[l]! })));
      const gm = mean.gradients(X, Y);
      expect(gm.loss).toBeCloseTo(gr.loss / 3, 6);
      gm.layers[0]!.weights.forEach((v, i) => expect(v).toBeCloseTo(gr.layers[0]!.weights[i]! / 3, 6));
      mean.dispose();
    });
  });
}
