// fit's reduceLROnPlateau (Keras 3's ReduceLROnPlateau): the rate of every step is the schedule's
// times the optimizer's rateScale, which the plateau lowers at an epoch's end. Tests run a network
// whose learning rate is so small that its loss moves by far less than minDelta (1e-4) per epoch:
// a plateau from the first epoch on, so the epochs at which the rate drops follow from patience
// and cooldown alone, derived in each test's comments. Rates are compared exactly: each is the
// initial rate times products of the factor, computed as the code computes them
// (rateScale *= new/old, rate = base·rateScale).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Network, OptionError, type NetworkOptions } from '../src/index.js';

const LR = 1e-6;
const BASE: NetworkOptions = { layers: [2, 3, 1], activation: 'tanh', outputActivation: 'linear', optimizer: { type: 'sgd', learningRate: LR }, seed: 4 };
const X = [[0.1, 0.2], [0.3, -0.4], [-0.5, 0.6], [0.7, 0.8]];
const Y = [[1], [0], [1], [0]];

/** The rates the code produces for a sequence of reductions to `targets` (each max(old·factor, min)). */
function rates(targets: number[]): number[] {
  let scale = 1;
  const out = [LR];
  for (const t of targets) { const old = LR * scale; scale *= t / old; out.push(LR * scale); }
  return out;
}

describe('reduceLROnPlateau', () => {
  it('patience 2, cooldown 1, factor 0.5: the rate halves at the end of epochs 3, 5 and 7', async () => {
    const net = new Network(BASE);
    const h = await net.fit(X, Y, { epochs: 8, batchSize: 4, shuffle: false, reduceLROnPlateau: { monitor: 'loss', factor: 0.5, patience: 2, cooldown: 1 } });
    // epoch 1 sets the best; 2, 3 do not improve by 1e-4: wait 1, 2 → reduce after 3 (cooldown 1).
    // epoch 4: in cooldown (→ 0, wait 0), no improvement, not in cooldown any more: wait 1; 5: wait 2 → reduce; and again after 7.
    const [r0, r1, r2, r3] = rates([LR * 0.5, LR * 0.25, LR * 0.125]);
    expect(h.epochs.map((e) => e.learningRate)).toEqual([r0, r0, r0, r1, r1, r2, r2, r3]);
    for (let i = 1; i < h.loss.length; i++) expect(Math.abs(h.loss[i]! - h.loss[i - 1]!)).toBeLessThan(1e-4); // the plateau the test relies on
    net.dispose();
  });

  it('cooldown 0 and patience 1 reduce after every epoch but the first; minLearningRate stops the reductions', async () => {
    const net = new Network(BASE);
    const h = await net.fit(X, Y, { epochs: 6, batchSize: 4, shuffle: false, reduceLROnPlateau: { monitor: 'loss', factor: 0.5, patience: 1, minLearningRate: LR * 0.3 } });
    // after epoch 2: 0.5·LR; after 3: max(0.25·LR, 0.3·LR) = 0.3·LR; after 4: the rate is not above the minimum: unchanged
    const [r0, r1, r2] = rates([LR * 0.5, LR * 0.3]);
    expect(h.epochs.map((e) => e.learningRate)).toEqual([r0, r0, r1, r2, r2, r2]);
    net.dispose();
  });

  it('an improving loss is never reduced (patience 1, a rate that learns)', async () => {
    const net = new Network({ ...BASE, optimizer: { type: 'sgd', learningRate: 0.05 } });
    const h = await net.fit(X, Y, { epochs: 5, batchSize: 4, shuffle: false, reduceLROnPlateau: { monitor: 'loss', patience: 1, minDelta: 0 } });
    for (let i = 1; i < h.loss.length; i++) expect(h.loss[i]!).toBeLessThan(h.loss[i - 1]!);
    expect(h.epochs.every((e) => e.learningRate === 0.05)).toBe(true);
    net.dispose();
  });

  it('the reduced rate is saved (learningRateScale) and a loaded network continues at it; an unreduced network writes no such field', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wasmlp-plateau-'));
    try {
      const net = new Network(BASE);
      await net.fit(X, Y, { epochs: 4, batchSize: 4, shuffle: false, reduceLROnPlateau: { monitor: 'loss', factor: 0.5, patience: 1 } });
      const j = net.toJSON();
      expect(j.optimizer.learningRateScale).toBeCloseTo(0.125, 15); // halved after epochs 2, 3 and 4 (patience 1, no cooldown)
      for (const f of ['p.json', 'p.wasmlp']) {
        await net.save(join(dir, f));
        const back = await Network.load(join(dir, f));
        const a = await net.fit(X, Y, { epochs: 1, batchSize: 4, shuffle: false });
        const b = await back.fit(X, Y, { epochs: 1, batchSize: 4, shuffle: false });
        expect(b.epochs[0]!.learningRate).toBe(a.epochs[0]!.learningRate);
        expect(JSON.stringify(back.toJSON())).toBe(JSON.stringify(net.toJSON()));
        back.dispose();
      }
      net.dispose();
      const plain = new Network(BASE);
      expect('learningRateScale' in plain.toJSON().optimizer).toBe(false);
      plain.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('bad settings are OptionErrors naming the setting; valLoss needs validation data', async () => {
    const net = new Network(BASE);
    const before = JSON.stringify(net.toJSON());
    await expect(net.fit(X, Y, { reduceLROnPlateau: { monitor: 'loss', factor: 1 } })).rejects.toThrow(/fit options\.reduceLROnPlateau\.factor: expected a number in \(0, 1\), got 1/);
    await expect(net.fit(X, Y, { reduceLROnPlateau: { monitor: 'loss', patience: -1 } })).rejects.toThrow(/reduceLROnPlateau\.patience: expected an integer ≥ 0/);
    await expect(net.fit(X, Y, { reduceLROnPlateau: { monitor: 'loss', minLr: 0.1 } as never })).rejects.toThrow(OptionError);
    await expect(net.fit(X, Y, { reduceLROnPlateau: {} })).rejects.toThrow(/reduceLROnPlateau\.monitor: 'valLoss' \(the default\) needs validationData/);
    expect(JSON.stringify(net.toJSON())).toBe(before);
    net.dispose();
  });
});
