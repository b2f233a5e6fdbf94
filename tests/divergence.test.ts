// fit's divergence guard: when the loss (or a weight) becomes NaN or ±Infinity, training stops with
// a DivergenceError naming the epoch and batch ('throw', the default) or resolves with stopReason
// 'diverged' ('stop'), and the network is rolled back to the weights and optimizer state it had
// before the step that diverged, which are the ones whose loss was the last finite one. With
// `rollback: false` no backup is allocated and nothing is rolled back; the stop is the same.
import { describe, expect, it } from 'vitest';
import { DivergenceError, Network, NonFiniteError, OptionError, WasmlpError, type NetworkOptions } from '../src/index.js';
import { backend } from '../src/internal.js';

// Unnormalised data (inputs in the thousands) on an all-linear network with a learning rate
// that is far too large: the loss grows ~1e5× per step and turns NaN within a few batches.
const X: number[][] = [], Y: number[][] = [];
for (let i = 0; i < 64; i++) { X.push([i * 100, (i % 7) * 1000, 5000 - i * 50]); Y.push([i % 3, i * 10]); }
const BLOWUP: NetworkOptions = { layers: [3, 8, 2], activation: 'linear', outputActivation: 'linear', learningRate: 0.01, seed: 3 };

/** Fits with every step's before/after recorded: `states[k]` is the network's JSON before step k. */
async function recordFit(opts: NetworkOptions, fitOpts: Record<string, unknown>, x = X, y = Y) {
  const net = new Network(opts);
  const states = [JSON.stringify(net.toJSON())];
  const losses: number[] = [];
  let error: unknown;
  let history;
  try {
    history = await net.fit(x, y, { shuffle: false, batchSize: 8, epochs: 5, ...fitOpts, onBatchEnd: (l: { loss: number }) => { losses.push(l.loss); states.push(JSON.stringify(net.toJSON())); } });
  } catch (e) { error = e; }
  return { net, states, losses, error, history };
}

describe('divergence guard in fit', () => {
  it("onNaN 'throw' (default): DivergenceError with epoch and batch; weights and optimizer state are those before the diverging step", async () => {
    const { net, states, losses, error } = await recordFit({ ...BLOWUP, optimizer: { type: 'sgd', momentum: 0.9 } }, {});
    expect(error).toBeInstanceOf(DivergenceError);
    expect(error).toBeInstanceOf(NonFiniteError); // what fit threw before the guard existed
    expect(error).toBeInstanceOf(WasmlpError);
    const e = error as DivergenceError;
    // batches 0 … b−1 had finite losses; batch b's loss (from the weights of step b−1) was not
    const b = losses.length;
    expect(b).toBeGreaterThanOrEqual(2);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect([e.epoch, e.batch]).toEqual([Math.floor(b / 8) + 1, b % 8]);
    expect(e.message).toMatch(new RegExp(`loss became (NaN|Infinity) at epoch ${e.epoch}, batch ${e.batch}`));
    expect(e.message).toMatch(/rolled back/);
    // rolled back to before step b−1, the step that made the loss non-finite (momentum and step count included)
    expect(JSON.stringify(net.toJSON())).toBe(states[b - 1]);
    expect(JSON.stringify(net.toJSON())).not.toBe(states[b]);
    for (const l of net.getWeights()) expect(l.weights.every(Number.isFinite)).toBe(true);
    // and the network still trains from there with a sane learning rate
    net.dispose();
  });

  it("onNaN 'stop': resolves with stopReason 'diverged' and where, the same rollback, finite epoch losses", async () => {
    const thrown = await recordFit(BLOWUP, {});
    const { net, states, losses, history } = await recordFit(BLOWUP, { onNaN: 'stop' });
    expect(history).toBeDefined();
    expect(history!.stopReason).toBe('diverged');
    const e = thrown.error as DivergenceError;
    expect(history!.diverged).toEqual({ epoch: e.epoch, batch: e.batch });
    expect(losses).toEqual(thrown.losses);
    expect(JSON.stringify(net.toJSON())).toBe(states[losses.length - 1]);
    expect(history!.loss.every(Number.isFinite)).toBe(true);
    thrown.net.dispose(); net.dispose();
  });

  it('a step that makes a weight non-finite (with a finite loss) is caught at the epoch end, before onEpochEnd sees it', async () => {
    // out = 2e20 (a finite loss of 2e40 in float64), ∇W = δ·x = 2e40 overflows float32: W −= lr·∞
    let seen = 0;
    const net = new Network({ layers: [2, 1], outputActivation: 'linear', seed: 1 });
    net.setWeights([{ weights: [[1, 1]], bias: [0] }]);
    const before = JSON.stringify(net.toJSON());
    const err = await net.fit([[1e20, 1e20]], [[0]], { epochs: 3, onEpochEnd: () => { seen++; } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DivergenceError);
    expect((err as Error).message).toMatch(/fit: weight 0 of parameter block 0 became -Infinity in the step at epoch 1, batch 0 .*rolled back/);
    expect(seen).toBe(0);
    expect(JSON.stringify(net.toJSON())).toBe(before);
    const h = await net.fit([[1e20, 1e20]], [[0]], { epochs: 3, onNaN: 'stop' });
    expect([h.stopReason, h.diverged, h.epochs.length]).toEqual(['diverged', { epoch: 1, batch: 0 }, 1]);
    expect(JSON.stringify(net.toJSON())).toBe(before);
    net.dispose();
  });

  it('a first batch whose loss is already non-finite: no step, the weights are unchanged', async () => {
    const net = new Network({ layers: [2, 1], outputActivation: 'linear', seed: 1 });
    net.setWeights([{ weights: [[3e38, 3e38]], bias: [0] }]);
    const before = JSON.stringify(net.toJSON());
    const err = await net.fit([[1, 1], [2, 2]], [[0], [0]], { epochs: 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DivergenceError);
    expect((err as Error).message).toMatch(/loss became Infinity at epoch 1, batch 0.*no step was taken in this fit, the weights are unchanged/);
    expect(JSON.stringify(net.toJSON())).toBe(before);
    net.dispose();
  });

  it('the guard allocates one block per fit and returns it, also when fit throws', async () => {
    const { arena } = backend();
    const net = new Network(BLOWUP);
    await net.fit(X.map((r) => r.map((v) => v / 1e4)), Y.map((r) => r.map((v) => v / 1e3)), { epochs: 1 });
    const blocks = arena.liveBlocks, used = arena.bytesInUse;
    for (let i = 0; i < 3; i++) await net.fit(X, Y, { epochs: 5 }).catch(() => {});
    expect([arena.liveBlocks, arena.bytesInUse]).toEqual([blocks, used]);
    net.dispose();
  });

  it('trainBatch on diverged weights is a NonFiniteError and takes no step', () => {
    const net = new Network({ layers: [2, 1], outputActivation: 'linear', seed: 1 });
    net.setWeights([{ weights: [[3e38, 3e38]], bias: [0] }]);
    const before = JSON.stringify(net.toJSON());
    expect(() => net.trainBatch([1, 1], [0])).toThrow(NonFiniteError);
    expect(JSON.stringify(net.toJSON())).toBe(before);
    net.dispose();
  });

  it('rollback: true is the default: the same losses, error and rolled-back state', async () => {
    const a = await recordFit({ ...BLOWUP, optimizer: { type: 'sgd', momentum: 0.9 } }, {});
    const b = await recordFit({ ...BLOWUP, optimizer: { type: 'sgd', momentum: 0.9 } }, { rollback: true });
    expect(a.error).toBeInstanceOf(DivergenceError);
    expect(b.losses).toEqual(a.losses);
    expect((b.error as Error).message).toBe((a.error as Error).message);
    expect(JSON.stringify(b.net.toJSON())).toBe(JSON.stringify(a.net.toJSON()));
    expect(JSON.stringify(b.net.toJSON())).toBe(b.states[b.losses.length - 1]);
    a.net.dispose(); b.net.dispose();
  });

  it('rollback: false still stops with a DivergenceError at the same batch, but keeps the weights of the diverging step', async () => {
    const guarded = await recordFit({ ...BLOWUP, optimizer: { type: 'sgd', momentum: 0.9 } }, {});
    const { net, states, losses, error } = await recordFit({ ...BLOWUP, optimizer: { type: 'sgd', momentum: 0.9 } }, { rollback: false });
    expect(error).toBeInstanceOf(DivergenceError);
    const e = error as DivergenceError, g = guarded.error as DivergenceError;
    expect([e.epoch, e.batch]).toEqual([g.epoch, g.batch]);
    expect(losses).toEqual(guarded.losses); // the same steps up to the divergence
    expect(e.message).toMatch(new RegExp(`loss became (NaN|Infinity) at epoch ${e.epoch}, batch ${e.batch} .*rollback is off \\(fit option rollback: false\\), so the weights and optimizer state are those the diverging step left`));
    // not rolled back: the state after the last step (whose loss was finite, whose weights were not)
    const b = losses.length;
    expect(JSON.stringify(net.toJSON())).toBe(states[b]);
    expect(JSON.stringify(net.toJSON())).not.toBe(guarded.states[b - 1]);
    expect(net.toJSON().optimizer.iterations).toBe(b);
    expect(guarded.net.toJSON().optimizer.iterations).toBe(b - 1);
    guarded.net.dispose(); net.dispose();
  });

  it("rollback: false with onNaN 'stop' resolves with stopReason 'diverged', nothing rolled back", async () => {
    const { net, states, losses, history } = await recordFit(BLOWUP, { rollback: false, onNaN: 'stop' });
    const thrown = await recordFit(BLOWUP, {});
    expect(history!.stopReason).toBe('diverged');
    const e = thrown.error as DivergenceError;
    expect(history!.diverged).toEqual({ epoch: e.epoch, batch: e.batch });
    expect(JSON.stringify(net.toJSON())).toBe(states[losses.length]);
    thrown.net.dispose(); net.dispose();
  });

  it('rollback: false allocates no backup (the default allocates one block of the parameters and optimizer state per fit)', async () => {
    const { arena } = backend();
    const net = new Network({ ...BLOWUP, optimizer: 'adam' }); // 50 parameters, 2 Adam slots each
    const xs = X.map((r) => r.map((v) => v / 1e4)), ys = Y.map((r) => r.map((v) => v / 1e3));
    await net.fit(xs, ys, { epochs: 1 }); // batch buffers are reserved by the first fit
    const a = arena as typeof arena & { alloc: typeof arena.alloc };
    const original = a.alloc;
    const allocs: number[] = [];
    a.alloc = function (this: typeof arena, floats: number): number { allocs.push(floats); return original.call(this, floats); };
    try {
      await net.fit(xs, ys, { epochs: 2 });
      expect(allocs).toEqual([50 * 3]);
      allocs.length = 0;
      const blocks = arena.liveBlocks, used = arena.bytesInUse;
      const h = await net.fit(xs, ys, { epochs: 2, rollback: false, onBatchEnd: () => { expect([arena.liveBlocks, arena.bytesInUse]).toEqual([blocks, used]); } });
      expect(h.stopReason).toBe('completed');
      expect(allocs).toEqual([]);
      await net.fit(X, Y, { epochs: 5, rollback: false }).catch(() => {}); // diverges: still nothing allocated or left behind
      expect(allocs).toEqual([]);
      expect([arena.liveBlocks, arena.bytesInUse]).toEqual([blocks, used]);
    } finally {
      a.alloc = original;
    }
    net.dispose();
  });

  it('rollback must be true or false', async () => {
    const net = new Network(BLOWUP);
    const before = JSON.stringify(net.toJSON());
    await expect(net.fit(X, Y, { rollback: 'no' as unknown as boolean })).rejects.toThrow(OptionError);
    await expect(net.fit(X, Y, { rollback: 0 as unknown as boolean })).rejects.toThrow(/^fit options\.rollback: expected true or false, got 0$/);
    await expect(net.fit(X, Y, { rollbak: false } as never)).rejects.toThrow(/fit options\.rollbak: unknown option \(did you mean 'rollback'\?\)/);
    expect(JSON.stringify(net.toJSON())).toBe(before);
    net.dispose();
  });

  it("onNaN must be 'stop' or 'throw'", async () => {
    const net = new Network(BLOWUP);
    await expect(net.fit(X, Y, { onNaN: 'ignore' as 'stop' })).rejects.toThrow(OptionError);
    await expect(net.fit(X, Y, { onNaN: 'stpo' as 'stop' })).rejects.toThrow(/fit options\.onNaN: expected 'stop' or 'throw', got "stpo" \(did you mean 'stop'\?\)/);
    net.dispose();
  });
});
