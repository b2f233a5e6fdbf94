// fit's epoch-end controls (issue 14, training controls; Keras is the reference):
// 1. earlyStopping.restoreBestWeights: fit ends in the state of the best epoch (weights, optimizer
//    state, moving statistics, step count, shuffle state), stopped early or not (Keras 3); checked
//    against evaluate on the validation data (exact) and against a fit of bestEpoch epochs (bit for bit).
// 2. checkpoint and initialEpoch: saves at the configured epoch ends, before onEpochEnd; a run
//    resumed from a checkpoint equals the uninterrupted run bit for bit; a child process SIGKILLed
//    at random moments always leaves a loadable file holding the best epoch so far.
// 3. verbose: one plain line per epoch when stdout is piped (a child process), nothing by default.
// 4. setup errors before training: a missing folder, a folder as the path, an unsavable network.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { FileError, Network, OptionError, type LayerInput, type NetworkOptions } from '../src/index.js';
import { backend } from '../src/internal.js';
import { rand } from './ref/network.js';
import { runChild, tsxChild } from './reliability.js';
import { OPTIONS as KILL_OPTIONS, data as killData, digest } from './children/fit-checkpoint.js';

let dir = '';
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'wasmlp-fit-controls-')); });
afterAll(async () => { if (dir) await rm(dir, { recursive: true, force: true }); });

// ************* data and networks *************

const r = rand(11);
/** 3 classes from the signs of two inputs; the training labels are noisy, so the validation loss goes down, then up and down. */
const X = Array.from({ length: 48 }, () => Array.from({ length: 6 }, () => r() * 2 - 1));
const Y = X.map((row) => { const c = (row[0]! + 0.6 * r() - 0.3 > 0 ? 1 : 0) + (row[1]! > 0 ? 1 : 0); return [0, 1, 2].map((k) => (k === c ? 1 : 0)); });
const XV = Array.from({ length: 32 }, () => Array.from({ length: 6 }, () => r() * 2 - 1));
const YV = XV.map((row) => { const c = (row[0]! > 0 ? 1 : 0) + (row[1]! > 0 ? 1 : 0); return [0, 1, 2].map((k) => (k === c ? 1 : 0)); });

/** Batch normalization (moving statistics) and dropout (masks from the step count) make the state more than the weights. */
const NET: NetworkOptions<LayerInput[]> = {
  layers: [6, 24, { type: 'batchNormalization' }, { type: 'dropout', rate: 0.1 }, 3], activation: 'relu', outputActivation: 'softmax',
  optimizer: { type: 'adam', learningRate: 0.03 }, seed: 2,
};
/** The same with a schedule: its step count must resume too. */
const SCHEDULED: NetworkOptions<LayerInput[]> = { ...NET, optimizer: { type: 'adam', learningRate: { type: 'exponential', initial: 0.03, decaySteps: 10, decayRate: 0.5 } } };

const state = (net: Network<LayerInput[]>): string => JSON.stringify(net.toJSON());
/** The weights and moving statistics (for a network toJSON refuses: a learning-rate function). */
const weights = (net: Network<LayerInput[]>): string => JSON.stringify(net.getWeights(), (_k, v: unknown) => (v instanceof Float32Array ? Array.from(v) : v));
const file = (name: string): string => join(dir, name);

// ************* restoreBestWeights *************

describe('earlyStopping.restoreBestWeights', () => {
  it('running to the end (Keras 3 restores then too): the state of bestEpoch; evaluate on the validation data equals its valLoss exactly', async () => {
    const net = new Network(NET);
    const h = await net.fit(X, Y, { epochs: 30, batchSize: 8, validationData: [XV, YV], earlyStopping: { patience: 100, restoreBestWeights: true } });
    expect(h.stopReason).toBe('completed');
    expect(h.epochs.length).toBe(30);
    const best = h.valLoss.indexOf(Math.min(...h.valLoss)) + 1; // the first epoch with the lowest value
    expect(h.bestEpoch).toBe(best);
    expect(best, 'the data makes the best epoch an early one').toBeLessThan(25);
    expect(net.evaluate(XV, YV).loss).toBe(h.valLoss[best - 1]);
    // weights, optimizer state, moving statistics, step count and shuffle state: those of a fit of `best` epochs
    const ref = new Network(NET);
    await ref.fit(X, Y, { epochs: best, batchSize: 8 });
    expect(state(net)).toBe(state(ref));
    net.dispose(); ref.dispose();
  });

  it('stopping early: stopReason earlyStopping after patience epochs without improvement, restored to bestEpoch', async () => {
    const net = new Network(NET);
    const h = await net.fit(X, Y, { epochs: 100, batchSize: 8, validationData: [XV, YV], earlyStopping: { patience: 2, restoreBestWeights: true } });
    expect(h.stopReason).toBe('earlyStopping');
    const best = h.bestEpoch!;
    expect(h.epochs.length).toBe(best + 2);
    expect(Math.min(...h.valLoss)).toBe(h.valLoss[best - 1]);
    expect(net.evaluate(XV, YV).loss).toBe(h.valLoss[best - 1]);
    const ref = new Network(NET);
    await ref.fit(X, Y, { epochs: best, batchSize: 8 });
    expect(state(net)).toBe(state(ref));
    net.dispose(); ref.dispose();
  });

  it("without it the network keeps the last epoch's state; bestEpoch is still reported", async () => {
    const net = new Network(NET);
    const h = await net.fit(X, Y, { epochs: 12, batchSize: 8, validationData: [XV, YV], earlyStopping: { patience: 100 } });
    expect(h.bestEpoch).toBe(h.valLoss.indexOf(Math.min(...h.valLoss)) + 1);
    expect(net.evaluate(XV, YV).loss).toBe(h.valLoss.at(-1));
    net.dispose();
  });

  it("monitor 'loss', and an abort in the middle of an epoch: the best of the epochs that ran to their end", async () => {
    const net = new Network(NET);
    const ac = new AbortController();
    let steps = 0;
    const h = await net.fit(X, Y, {
      epochs: 20, batchSize: 8, earlyStopping: { monitor: 'loss', patience: 100, restoreBestWeights: true },
      onBatchEnd: () => { if (++steps === 6 * 6 + 2) ac.abort(); }, signal: ac.signal,
    });
    expect(h.stopReason).toBe('aborted');
    expect(h.epochs.length).toBe(7); // 6 full epochs of 6 steps, then 2 steps of the 7th (logged, not monitored)
    const best = h.loss.slice(0, 6).indexOf(Math.min(...h.loss.slice(0, 6))) + 1;
    expect(h.bestEpoch).toBe(best);
    const ref = new Network(NET);
    await ref.fit(X, Y, { epochs: best, batchSize: 8 });
    expect(state(net)).toBe(state(ref));
    net.dispose(); ref.dispose();
  });

  it('one arena block for the copy, allocated once per fit (none per step or epoch), freed when fit returns or throws', async () => {
    const { arena } = backend();
    const net = new Network(NET);
    await net.fit(X, Y, { epochs: 1 }); // the batch buffers
    const before = [arena.liveBlocks, arena.bytesInUse];
    const during = async (restoreBestWeights: boolean): Promise<number[]> => {
      const seen: number[] = [];
      await net.fit(X, Y, { epochs: 4, batchSize: 8, validationData: [XV, YV], earlyStopping: { patience: 100, restoreBestWeights }, onBatchEnd: () => { seen.push(arena.liveBlocks); } });
      expect(new Set(seen).size, 'the same blocks at every step').toBe(1);
      return seen;
    };
    const plain = (await during(false))[0]!, kept = (await during(true))[0]!;
    expect(kept).toBe(plain + 1);
    expect([arena.liveBlocks, arena.bytesInUse]).toEqual(before);
    await expect(net.fit(X, Y, { epochs: 3, validationData: [XV, YV], earlyStopping: { restoreBestWeights: true }, onEpochEnd: () => { throw new Error('callback'); } })).rejects.toThrow('callback');
    expect([arena.liveBlocks, arena.bytesInUse]).toEqual(before);
    net.dispose();
  });
});

// ************* checkpoint and initialEpoch *************

describe('checkpoint and initialEpoch', () => {
  it('resuming from the epoch-3 checkpoint with initialEpoch 3 equals the uninterrupted 6 epochs bit for bit (weights, optimizer, moving statistics, schedule, shuffle)', async () => {
    const opts = { batchSize: 8, validationSplit: 0.25 };
    const a = new Network(SCHEDULED);
    const ha = await a.fit(X, Y, { ...opts, epochs: 6, checkpoint: { path: file('run-a.json'), saveBestOnly: false } });
    const b = new Network(SCHEDULED);
    await b.fit(X, Y, { ...opts, epochs: 3, checkpoint: { path: file('run-b.wasmlp'), saveBestOnly: false } });
    const c = await Network.load<LayerInput[]>(file('run-b.wasmlp'));
    expect(state(c), 'the checkpoint holds the state at the end of epoch 3').toBe(state(b));
    const hc = await c.fit(X, Y, { ...opts, epochs: 6, initialEpoch: 3 });
    expect(hc.epochs.map((e) => e.epoch)).toEqual([4, 5, 6]);
    expect(hc.loss).toEqual(ha.loss.slice(3));
    expect(hc.valLoss).toEqual(ha.valLoss.slice(3));
    expect(state(c)).toBe(state(a));
    const saved = await Network.load<LayerInput[]>(file('run-a.json'));
    expect(state(saved), 'the JSON checkpoint of epoch 6').toBe(state(a));
    for (const n of [a, b, c, saved]) n.dispose();
  });

  it('every 2 (saveBestOnly false): saved at the end of epochs 2 and 4, before onEpochEnd', async () => {
    const path = file('every.wasmlp');
    const net = new Network(NET);
    const seen: (number | null)[] = [];
    await net.fit(X, Y, {
      epochs: 5, batchSize: 8, checkpoint: { path, saveBestOnly: false, every: 2 },
      onEpochEnd: async () => {
        if (!existsSync(path)) { seen.push(null); return; }
        const f = await Network.load(path);
        seen.push(f.toJSON().optimizer.iterations);
        f.dispose();
      },
    });
    expect(seen).toEqual([null, 12, 12, 24, 24]); // 48 rows in batches of 8: 6 steps per epoch
    net.dispose();
  });

  it('saveBestOnly (default) on valLoss: the file always holds the epoch with the lowest valLoss so far', async () => {
    const path = file('best.wasmlp');
    const net = new Network(NET);
    let best = Infinity, improved = 0, kept = 0;
    const h = await net.fit(X, Y, {
      epochs: 16, batchSize: 8, validationData: [XV, YV], checkpoint: { path },
      onEpochEnd: async (l) => {
        const f = await Network.load<LayerInput[]>(path);
        const better = l.valLoss! < best;
        best = Math.min(best, l.valLoss!);
        expect(f.evaluate(XV, YV).loss).toBe(best);
        expect(state(f) === state(net), `epoch ${l.epoch}`).toBe(better);
        if (better) improved++; else kept++;
        f.dispose();
      },
    });
    expect(h.epochs.length).toBe(16);
    expect(improved).toBeGreaterThan(1);
    expect(kept, 'some epochs did not improve').toBeGreaterThan(1);
    net.dispose();
  });

  it("monitor 'loss' needs no validation data", async () => {
    const path = file('loss.json');
    const net = new Network(NET);
    const h = await net.fit(X, Y, { epochs: 4, batchSize: 8, checkpoint: { path, monitor: 'loss' } });
    const f = await Network.load(path);
    const best = h.loss.indexOf(Math.min(...h.loss)) + 1;
    expect(f.toJSON().optimizer.iterations).toBe(best * 6);
    net.dispose(); f.dispose();
  });

  it('initialEpoch equal to epochs: nothing to train, the network unchanged', async () => {
    const net = new Network(NET);
    const before = state(net);
    const h = await net.fit(X, Y, { epochs: 3, initialEpoch: 3 });
    expect([h.epochs.length, h.stopReason]).toEqual([0, 'completed']);
    expect(state(net)).toBe(before);
    net.dispose();
  });

  it('a save that fails at the end of an epoch rejects fit with a FileError naming the option and the epoch; the network can fit again', async () => {
    const folder = await mkdtemp(join(dir, 'vanishing-'));
    const net = new Network(NET);
    const err = await net.fit(X, Y, {
      epochs: 4, checkpoint: { path: join(folder, 'm.json'), saveBestOnly: false },
      onEpochEnd: async (l) => { if (l.epoch === 1) await rm(folder, { recursive: true }); },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FileError);
    expect((err as Error).message).toMatch(/^fit options\.checkpoint\.path: cannot write .*m\.json.* at the end of epoch 2/);
    expect((await net.fit(X, Y, { epochs: 1 })).epochs.length).toBe(1);
    net.dispose();
  });

  it('setup errors come before the first step, leave the network unchanged and write nothing', async () => {
    const notAFolder = file('plain.txt');
    await writeFile(notAFolder, 'x');
    const cases: [string, Network<LayerInput[]>, string, new (...a: never[]) => Error, RegExp][] = [
      ['missing folder', new Network(NET), join(dir, 'no-such-folder', 'm.wasmlp'), FileError, /^fit options\.checkpoint\.path: cannot write ".*m\.wasmlp": the folder ".*no-such-folder" does not exist \(ENOENT\)$/],
      ['a file as the folder', new Network(NET), join(notAFolder, 'm.json'), FileError, /^fit options\.checkpoint\.path: .*plain\.txt" is not a folder \(ENOTDIR\)$/],
      ['a folder as the file', new Network(NET), dir, FileError, /^fit options\.checkpoint\.path: cannot write ".*": it is a folder \(EISDIR\)$/],
      ['a learning-rate function', new Network({ ...NET, optimizer: { type: 'sgd', learningRate: () => 0.1 } }), file('never.json'), OptionError, /^fit options\.checkpoint: this network cannot be saved: options\.optimizer\.learningRate: a function schedule cannot be saved/],
    ];
    const snap = (net: Network<LayerInput[]>): string => { try { return state(net); } catch { return weights(net); } };
    for (const [name, net, path, type, message] of cases) {
      const before = snap(net);
      let steps = 0;
      const err = await net.fit(X, Y, { epochs: 2, checkpoint: { path, saveBestOnly: false }, onBatchEnd: () => { steps++; } }).catch((e: unknown) => e);
      expect(err, name).toBeInstanceOf(type);
      expect((err as Error).message, name).toMatch(message);
      expect(steps, name).toBe(0);
      expect(snap(net), name).toBe(before);
      net.dispose();
    }
    expect(existsSync(file('never.json'))).toBe(false);
  });
});

// ************* SIGKILL *************

const KILLS = 4;

/** Starts the checkpointing child, SIGKILLs it `delay` ms after it printed `after` epochs; its epoch lines. */
async function killAfter(work: string, after: number, delay: number): Promise<{ steps: number; epochs: { epoch: number; valLoss: number; digest: string }[]; stderr: string }> {
  const child = tsxChild('tests/children/fit-checkpoint.ts', [work]);
  const epochs: { epoch: number; valLoss: number; digest: string }[] = [];
  let steps = 0, buf = '', stderr = '', killing = false;
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const [what, a, b, c] = buf.slice(0, nl).split(' ');
      buf = buf.slice(nl + 1);
      if (what === 'ready') steps = Number(a);
      if (what === 'epoch') epochs.push({ epoch: Number(a), valLoss: Number(b), digest: c! });
      if (epochs.length >= after && !killing) {
        killing = true;
        setTimeout(() => child.kill('SIGKILL'), delay);
      }
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000); // a child that never gets going
  await exited;
  clearTimeout(timer);
  return { steps, epochs, stderr };
}

describe('SIGKILL during a fit with a checkpoint (saveBestOnly)', () => {
  it(`${KILLS} kills at random moments: the file always loads and holds the best epoch so far`, async () => {
    const { xv, yv } = killData();
    let unprinted = 0;
    for (let k = 0; k < KILLS; k++) {
      const work = await mkdtemp(join(dir, 'kill-'));
      // after 2–5 printed epochs (an epoch takes a few ms, most of it the save), 0–4 ms later
      const run = await killAfter(work, 2 + (k % 4), Math.floor(((k * 0.618034) % 1) * 5));
      expect(run.stderr).toBe('');
      const printed = run.epochs;
      expect(printed.length).toBeGreaterThanOrEqual(2);
      const net = await Network.load<LayerInput[]>(join(work, 'best.wasmlp')); // throws if damaged
      const lowest = Math.min(...printed.map((e) => e.valLoss));
      const best = printed.find((e) => e.valLoss === lowest)!;
      const found = printed.find((e) => e.digest === digest(net));
      if (found) {
        expect(found.epoch, `kill ${k}: the file holds the best printed epoch`).toBe(best.epoch);
      } else {
        // killed after the next epoch's save (a new best) and before its line
        unprinted++;
        expect(net.toJSON().optimizer.iterations, `kill ${k}`).toBe((printed.length + 1) * run.steps);
        expect(net.evaluate(xv, yv).loss, `kill ${k}`).toBeLessThan(lowest);
      }
      expect(net.options.layers).toEqual(KILL_OPTIONS.layers);
      net.dispose();
    }
    expect(unprinted).toBeLessThan(KILLS);
    console.log(`[fit-controls] ${KILLS} kills, ${unprinted} after a save whose epoch line was not printed`);
  }, 60_000);
});

// ************* verbose *************

describe('verbose', () => {
  it('piped stdout (a child process): one plain line per epoch, the save, the restore; no bar, no escapes', async () => {
    const work = await mkdtemp(join(dir, 'verbose-'));
    const { code, stdout, stderr } = await runChild(tsxChild('tests/children/fit-verbose.ts', [work]));
    expect([code, stderr]).toEqual([0, '']);
    expect(stdout).not.toMatch(/\x1b|\r/);
    const lines = stdout.trimEnd().split('\n');
    expect(lines.length).toBe(6);
    const num = String.raw`\d+\.\d+`;
    lines.slice(0, 5).forEach((line, i) => {
      expect(line).toMatch(new RegExp(String.raw`^epoch ${i + 1}/5  loss ${num}  accuracy [\d.]+  valLoss ${num}  valAccuracy [\d.]+  \d+ ms( {2}saved .*verbose\.json)?$`));
    });
    const best = lines.slice(0, 5).map((l) => Number(/valLoss (\S+)/.exec(l)![1]));
    const epoch = best.indexOf(Math.min(...best)) + 1;
    expect(lines[epoch - 1]).toMatch(/saved /);
    expect(lines[5]).toBe(`restored the state at the end of epoch ${epoch} (best valLoss ${Math.min(...best).toFixed(4)})`);
    expect(existsSync(join(work, 'verbose.json'))).toBe(true);
  }, 30_000);

  it('in this process: the lines carry the logged values; without verbose (the default) fit writes nothing', async () => {
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => { out.push(String(c)); return true; });
    let h;
    try {
      const net = new Network(NET);
      await net.fit(X, Y, { epochs: 2, batchSize: 8, validationData: [XV, YV] });
      expect(out).toEqual([]);
      h = await net.fit(X, Y, { epochs: 4, initialEpoch: 2, batchSize: 8, validationData: [XV, YV], metrics: ['accuracy', 'f1'], verbose: true, earlyStopping: { patience: 0 } });
      net.dispose();
    } finally {
      spy.mockRestore();
    }
    const lines = out.join('').trimEnd().split('\n');
    h.epochs.forEach((e, i) => {
      expect(lines[i]).toMatch(new RegExp(`^epoch ${e.epoch}/4  loss ${e.loss.toFixed(4)}  accuracy \\S+  f1 \\S+  valLoss ${e.valLoss!.toFixed(4)}  valAccuracy \\S+  valF1 \\S+  \\d+ ms$`));
    });
    if (h.stopReason === 'earlyStopping') expect(lines.at(-1)).toMatch(/^early stopping at epoch 4: valLoss has not improved by more than 0 since epoch 3$/);
    else expect(lines.length).toBe(h.epochs.length);
  });
});
