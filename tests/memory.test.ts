// Memory that stays flat: wasm memory never grows past what live networks need, every block comes
// back on dispose() (or, for networks that were never disposed, through the FinalizationRegistry),
// training allocates nothing per step, and a disposed network is a typed error, also mid-fit.
import { describe, expect, it } from 'vitest';
import { DisposedError, Network, type LayerInput, type NetworkOptions } from '../src/index.js';
import { backend } from '../src/internal.js';
import { SOAK, runChild, tsxChild } from './reliability.js';

const { arena } = backend();
const state = (): [number, number, number] => [arena.memoryBytes, arena.liveBlocks, arena.bytesInUse];

const OPTS: NetworkOptions = { layers: [16, 32, 8], activation: 'relu', outputActivation: 'softmax', optimizer: 'adam', threads: 1 };
const X = new Float32Array(10 * 16).map((_, i) => Math.sin(i));
const Y = new Float32Array(10 * 8).map((_, i) => (i % 8 === Math.floor(i / 8) % 8 ? 1 : 0));

describe('create → train → dispose cycles', () => {
  it('10,000 cycles of create → train one batch → dispose() leave memory size, live blocks and bytes where they started', () => {
    const cycle = (i: number): void => {
      const net = new Network({ ...OPTS, seed: i });
      net.trainBatch(X, Y);
      net.dispose();
    };
    cycle(0); // the first network sizes memory
    const start = state();
    for (let i = 1; i <= 10_000; i++) cycle(i);
    expect(state()).toEqual(start);
  });

  it('300 cycles of create → fit → toJSON → fromJSON → dispose both: the same', async () => {
    const cycle = async (i: number): Promise<void> => {
      const net = new Network({ ...OPTS, seed: i });
      await net.fit(X, Y, { epochs: 2, batchSize: 4, validationSplit: 0.2 });
      const copy = Network.fromJSON(JSON.stringify(net.toJSON()));
      copy.predict(X);
      net.dispose(); copy.dispose();
    };
    await cycle(0);
    const start = state();
    for (let i = 1; i <= 300; i++) await cycle(i);
    expect(state()).toEqual(start);
  });
});

describe('layer lists', () => {
  const LIST: NetworkOptions<LayerInput[]> = {
    layers: [16, { type: 'dense', units: 32, activation: 'relu', l2: 1e-4 }, { type: 'batchNormalization' }, { type: 'dropout', rate: 0.3 },
      { type: 'dense', units: 12, activation: 'gelu' }, { type: 'layerNormalization' }, { type: 'dense', units: 8, activation: 'softmax' }],
    optimizer: 'adamw', threads: 1,
  };

  it('1,000 cycles of create → train → trace/gradients/predict → save as JSON → load → dispose both leave memory where it started', () => {
    const cycle = (i: number): void => {
      const net = new Network({ ...LIST, seed: i });
      net.trainBatch(X, Y);
      net.trace(X, { training: true });
      net.gradients(X, Y);
      net.predict(X);
      const copy = Network.fromJSON<LayerInput[]>(JSON.stringify(net.toJSON()));
      copy.predict(X.subarray(0, 16));
      net.dispose(); copy.dispose();
    };
    cycle(0);
    const start = state();
    for (let i = 1; i <= 1000; i++) cycle(i);
    expect(state()).toEqual(start);
  });

  it('5,000 trainBatch steps through dropout and both normalizations allocate nothing', () => {
    const net = new Network({ ...LIST, seed: 3 });
    net.trainBatch(X, Y);
    const start = state();
    for (let i = 0; i < 5000; i++) net.trainBatch(X, Y);
    expect(state()).toEqual(start);
    net.dispose();
  });
});

describe('FinalizationRegistry', () => {
  it('frees networks that were never disposed (node --expose-gc child: 2 waves of 1,000 forgotten networks)', async () => {
    const res = await runChild(tsxChild('tests/children/finalize.ts', ['1000'], ['--expose-gc']));
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const r = JSON.parse(res.stdout.trim()) as Record<'start' | 'peak1' | 'after1' | 'peak2' | 'after2', { blocks: number; bytes: number; memory: number }>;
    // while they were reachable, 1,000 networks held their blocks …
    expect(r.peak1.blocks).toBeGreaterThan(r.start.blocks + 1000);
    // … and after a collection every one came back
    expect([r.after1.blocks, r.after1.bytes]).toEqual([r.start.blocks, r.start.bytes]);
    expect([r.after2.blocks, r.after2.bytes]).toEqual([r.start.blocks, r.start.bytes]);
    // the second wave reused the first wave's memory: it did not grow
    expect(r.peak2.memory).toBe(r.peak1.memory);
  }, 60_000);
});

describe('training steps', () => {
  const STEPS = SOAK ? 1_000_000 : 20_000;

  it(`${STEPS.toLocaleString('en')} trainBatch steps on one network do not grow wasm memory or allocate a block`, () => {
    const net = new Network({ layers: [4, 8, 3], activation: 'tanh', outputActivation: 'softmax', optimizer: 'adam', threads: 1 });
    const x = new Float32Array(4 * 4).map((_, i) => Math.sin(i)), y = new Float32Array(4 * 3).map((_, i) => (i % 3 === 0 ? 1 : 0));
    net.trainBatch(x, y);
    const start = state();
    for (let i = 0; i < STEPS; i++) net.trainBatch(x, y);
    expect(state()).toEqual(start);
    expect(net.getWeights().every((l) => l.weights.every(Number.isFinite))).toBe(true);
    net.dispose();
  }, 600_000);

  it(`${STEPS.toLocaleString('en')} steps through fit (batch size 1) do not grow wasm memory; fit's guard block is returned`, async () => {
    const net = new Network({ layers: [4, 8, 3], activation: 'tanh', outputActivation: 'softmax', optimizer: 'adam', threads: 1 });
    const xs = Array.from({ length: 1000 }, (_, i) => [Math.sin(i), Math.cos(i), (i % 3) / 3, 1]);
    const ys = Array.from({ length: 1000 }, (_, i) => [0, 1, 2].map((k) => (i % 3 === k ? 1 : 0)));
    await net.fit(xs.slice(0, 10), ys.slice(0, 10), { batchSize: 1 });
    const start = state();
    let peak = 0;
    await net.fit(xs, ys, { epochs: STEPS / 1000, batchSize: 1, onEpochEnd: () => { peak = Math.max(peak, arena.memoryBytes); } });
    expect(peak).toBe(start[0]);
    expect(state()).toEqual(start);
    net.dispose();
  }, 600_000);
});

describe('disposed networks', () => {
  it('every method after dispose() is a DisposedError; dispose() twice is fine', async () => {
    const net = new Network(OPTS);
    net.dispose();
    net.dispose();
    expect(net.isDisposed).toBe(true);
    const calls: [string, () => unknown][] = [
      ['predict', () => net.predict(X)], ['trace', () => net.trace(X)], ['gradients', () => net.gradients(X, Y)],
      ['trainBatch', () => net.trainBatch(X, Y)], ['fit', () => net.fit(X, Y)], ['evaluate', () => net.evaluate(X, Y)],
      ['setWeights', () => net.setWeights([])], ['getWeights', () => net.getWeights()], ['toJSON', () => net.toJSON()], ['save', () => net.save('never.json')],
    ];
    for (const [name, call] of calls) await expect(Promise.resolve().then(call), name).rejects.toThrow(DisposedError);
  });

  it('dispose() from inside fit (onBatchEnd, onEpochEnd) rejects fit with DisposedError and frees everything', async () => {
    for (const where of ['onBatchEnd', 'onEpochEnd'] as const) {
      const before = state();
      const net = new Network(OPTS);
      const err = await net.fit(X, Y, { epochs: 3, batchSize: 2, [where]: () => net.dispose() }).catch((e: unknown) => e);
      expect(err, where).toBeInstanceOf(DisposedError);
      expect((err as Error).message).toMatch(/^fit: this Network was disposed/);
      expect([arena.liveBlocks, arena.bytesInUse], where).toEqual([before[1], before[2]]);
    }
  });
});
