// Files that survive crashes and hostile bytes.
// 1. A child process saves a network over and over (.wasmlp and .json, one training step between
//    saves) and is SIGKILLed at a random moment, mostly in the middle of a save; afterwards both
//    files load intact and hold either the previous version or the one being written, never a
//    mix; the next child's saves remove the temporary files the killed one left. 3 kills in the
//    normal suite, 150 under WASMLP_SOAK=1.
// 2. fromJSON and load fuzzed with fast-check: random mutations of valid files (byte flips, byte
//    writes, truncation, insertions, deletions; header and JSON field mutations with the lengths
//    and the CRC recomputed so they reach the deeper checks). Every outcome is a typed error
//    (WasmlpError) or a working network; nothing hangs; a rejected file allocates nothing in wasm
//    memory, and an accepted one exactly what its validated header describes.
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Network, WasmlpError } from '../src/index.js';
import { backend } from '../src/internal.js';
import { SOAK, buildWasmlp, deadPid, parseWasmlp, tsxChild } from './reliability.js';
import { atomicWriteSync } from '../src/io.js';

let dir = '';
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'wasmlp-files-')); });
afterAll(async () => { if (dir) await rm(dir, { recursive: true, force: true }); });

// ************* kill -9 in the middle of save() *************

const KILLS = SOAK ? 150 : 3;

interface Round { saved: Record<string, number>; begun: Record<string, number>; start: number; stderr: string; midSave: boolean }

/**
 * Starts the saving child and, at its `skip`-th save or later (once that format's save time is
 * known), SIGKILLs it `frac` of the way through the save.
 */
async function killDuringSave(work: string, skip: number, frac: number): Promise<Round> {
  const child = tsxChild('tests/children/save-loop.ts', [work]);
  const saved: Record<string, number> = {}, begun: Record<string, number> = {}, ms: Record<string, number> = {};
  let start = -1, stderr = '', buf = '', begins = 0, killing = false, last = '';
  let midSave = false;
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const [what, fmt, v, t] = buf.slice(0, nl).split(' ');
      buf = buf.slice(nl + 1);
      last = what!;
      if (what === 'ready') start = Number(fmt);
      if (what === 'saved') { saved[fmt!] = Number(v); ms[fmt!] = Number(t); }
      if (what === 'begin') {
        begun[fmt!] = Number(v);
        if (begins++ >= skip && ms[fmt!] !== undefined && !killing) {
          killing = true;
          setTimeout(() => { midSave = last === 'begin'; child.kill('SIGKILL'); }, Math.floor(frac * ms[fmt!]!));
        }
      }
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000); // a child that never gets going
  await exited;
  clearTimeout(timer);
  return { saved, begun, start, stderr, midSave };
}

describe('SIGKILL in the middle of save()', () => {
  it(`${KILLS} kills: the previous file always loads intact (or the new one, complete)`, async () => {
    const work = await mkdtemp(join(dir, 'kill-'));
    const bin = join(work, 'model.wasmlp'), json = join(work, 'model.json');
    let midSave = 0, tempLeft = 0, version = -1, stale: string[] = [];
    for (let k = 0; k < KILLS; k++) {
      // kill at the 2nd–4th save, 0–100% of the way through it (a save of this 3 MB model takes 10–100 ms)
      const r = await killDuringSave(work, 2 + (k % 3), (k * 0.618034) % 1);
      expect(r.stderr).toBe('');
      expect(r.start, 'the child loaded the survivor of the previous kill').toBeGreaterThanOrEqual(version);
      for (const [name, path] of [['wasmlp', bin], ['json', json]] as const) {
        const net = await Network.load(path); // throws if the file is damaged
        const v = net.toJSON().optimizer.iterations;
        // either the last version that was completely saved, or the one being written (renamed, not yet reported)
        const lo = r.saved[name] ?? r.start, hi = r.begun[name] ?? r.start;
        expect(v, `${name} after kill ${k}`).toBeGreaterThanOrEqual(lo);
        expect(v, `${name} after kill ${k}`).toBeLessThanOrEqual(hi);
        expect(net.predict(new Float32Array(256).fill(0.5)).every(Number.isFinite)).toBe(true);
        net.dispose();
        if (name === 'wasmlp') version = v;
      }
      if (r.midSave) midSave++;
      // a kill mid-write leaves the temporary file behind (never a damaged target); the next
      // round's child saves both files at least once, and each save removes the dead pid's temps
      const temps = (await readdir(work)).filter((f) => f.endsWith('.tmp'));
      expect(temps.every((f) => /^\.model\.(wasmlp|json)\.\d+\.\w+\.tmp$/.test(f))).toBe(true);
      expect(temps.filter((f) => stale.includes(f)), `temporary files of the child killed before kill ${k}`).toEqual([]);
      stale = temps;
      tempLeft += temps.length;
    }
    // the kills land inside save() (between "begin" and "saved")
    expect(midSave).toBeGreaterThanOrEqual(Math.ceil(KILLS / 2));
    if (SOAK) expect(tempLeft, 'some kills landed after the temporary file was opened').toBeGreaterThan(0);
    console.log(`[files] ${KILLS} kills, ${midSave} inside save(), ${tempLeft} of them after the temporary file was opened`);
  }, SOAK ? 1_800_000 : 120_000);
});

describe('save() removes the temporary files of killed saves', () => {
  it('only those of the same target name whose process is gone', async () => {
    const work = await mkdtemp(join(dir, 'stale-'));
    const dead = await deadPid();
    expect(() => process.kill(dead, 0)).toThrow(expect.objectContaining({ code: 'ESRCH' }));
    const names = {
      deadBin: `.model.wasmlp.${dead}.m1abc2def.tmp`, deadJson: `.model.json.${dead}.m1abc2def.tmp`, // removed by the save of each
      live: `.model.wasmlp.${process.pid}.m1abc2def.tmp`, // this process: maybe a save in progress
      otherTarget: `.other.wasmlp.${dead}.m1abc2def.tmp`, // another target name
      prefixTarget: `.model.wasmlp.old.${dead}.m1abc2def.tmp`, // target 'model.wasmlp.old', not 'model.wasmlp'
      notOurs: `.model.wasmlp.${dead}.tmp`, // not the pattern of save() (the CLI's own writer uses it)
    };
    for (const f of Object.values(names)) await writeFile(join(work, f), 'half a model');
    const net = new Network({ layers: [3, 2], seed: 1 });
    await net.save(join(work, 'model.wasmlp'));
    expect((await readdir(work)).sort()).toEqual([names.deadJson, names.live, names.notOurs, names.otherTarget, names.prefixTarget, 'model.wasmlp'].sort());
    await net.save(join(work, 'model.json'));
    expect((await readdir(work)).sort()).toEqual([names.live, names.notOurs, names.otherTarget, names.prefixTarget, 'model.json', 'model.wasmlp'].sort());
    expect(await readFile(join(work, names.live), 'utf8')).toBe('half a model');
    const back = await Network.load(join(work, 'model.wasmlp'));
    expect(back.predict([1, 2, 3])).toEqual(net.predict([1, 2, 3]));
    back.dispose(); net.dispose();
  });

  it('a stale name it cannot remove (a folder) does not fail the save', async () => {
    const work = await mkdtemp(join(dir, 'stale-'));
    const stuck = `.model.wasmlp.${await deadPid()}.m1abc2def.tmp`;
    await mkdir(join(work, stuck));
    await writeFile(join(work, stuck, 'inside'), 'x');
    const net = new Network({ layers: [3, 2] });
    await net.save(join(work, 'model.wasmlp'));
    expect((await readdir(work)).sort()).toEqual([stuck, 'model.wasmlp'].sort());
    expect((await Network.load(join(work, 'model.wasmlp'))).predict([0, 0, 0])).toEqual(net.predict([0, 0, 0]));
    net.dispose();
  });

  it('the synchronous writer of the command-line tool (atomicWriteSync) cleans up the same way', async () => {
    const work = await mkdtemp(join(dir, 'stale-'));
    const dead = await deadPid();
    const stale = `.preds.csv.${dead}.m1abc2def.tmp`, live = `.preds.csv.${process.pid}.m1abc2def.tmp`, other = `.other.csv.${dead}.m1abc2def.tmp`;
    for (const f of [stale, live, other]) await writeFile(join(work, f), 'half a file');
    atomicWriteSync(join(work, 'preds.csv'), 'a,b\n1,2\n');
    expect((await readdir(work)).sort()).toEqual([live, other, 'preds.csv'].sort());
    expect(await readFile(join(work, 'preds.csv'), 'utf8')).toBe('a,b\n1,2\n');
    // a failing write leaves no temporary file and the old file intact
    expect(() => atomicWriteSync(join(work, 'no-such-dir', 'x.csv'), 'x')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    await mkdir(join(work, 'taken'));
    expect(() => atomicWriteSync(join(work, 'taken'), 'x')).toThrow();
    expect((await readdir(work)).sort()).toEqual([live, other, 'preds.csv', 'taken'].sort());
  });
});

// ************* fuzzed files *************

const RUNS = SOAK ? 10_000 : 250;

const { arena } = backend();

/**
 * Runs `fn`, noting through the arena's public counters whether it grew wasm memory (memory never
 * shrinks, so an allocation made and freed again on the way still shows as growth if it did not fit).
 */
async function metered<T>(fn: () => Promise<T> | T): Promise<{ value?: T; error?: unknown; grew: number; ms: number }> {
  const mem = arena.memoryBytes;
  const t0 = performance.now();
  try {
    const value = await fn();
    return { value, grew: arena.memoryBytes - mem, ms: performance.now() - t0 };
  } catch (error) {
    return { error, grew: arena.memoryBytes - mem, ms: performance.now() - t0 };
  }
}

/** Blocks and bytes a network with these options takes in the arena (measured by building one). */
function footprint(options: Network['options']): [blocks: number, bytes: number] {
  const blocks = arena.liveBlocks, bytes = arena.bytesInUse;
  const { learningRate: _lr, ...o } = options;
  const n = new Network(o);
  const used: [number, number] = [arena.liveBlocks - blocks, arena.bytesInUse - bytes];
  n.dispose();
  return used;
}

/** The property every fuzzed input must satisfy. */
async function expectTypedErrorOrNetwork(load: () => Promise<Network> | Network): Promise<void> {
  const blocks = arena.liveBlocks, bytes = arena.bytesInUse;
  const r = await metered(load);
  expect(r.ms, 'never hangs').toBeLessThan(2_000);
  if (r.error !== undefined) {
    if (!(r.error instanceof WasmlpError)) throw r.error; // shows the raw error in the counterexample
    expect(r.error.message.length).toBeGreaterThan(0);
    // nothing kept, and nothing so large was allocated on the way that wasm memory had to grow
    expect([arena.liveBlocks, arena.bytesInUse], `rejected (${r.error.message}) and kept memory`).toEqual([blocks, bytes]);
    expect(r.grew, `rejected (${r.error.message}) after growing wasm memory`).toBe(0);
    return;
  }
  const net = r.value!;
  expect(net).toBeInstanceOf(Network);
  // it holds what a network built from its (validated) options holds, and nothing on the side
  expect([arena.liveBlocks - blocks, arena.bytesInUse - bytes]).toEqual(footprint(net.options));
  expect(net.predict(new Float32Array(net.sizes[0]!).fill(0.25))).toHaveLength(net.sizes[net.sizes.length - 1]!);
  net.dispose();
  expect([arena.liveBlocks, arena.bytesInUse]).toEqual([blocks, bytes]);
}

type Mutation =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'set'; at: number; byte: number }
  | { op: 'truncate'; at: number }
  | { op: 'insert'; at: number; bytes: number[] }
  | { op: 'delete'; at: number; count: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 16 }) }),
);

/** Byte-level mutations; positions are taken modulo the current length, `near` biases them to the first bytes (the header). */
function mutateBytes(src: Uint8Array, muts: Mutation[], near?: number): Buffer {
  let b = Buffer.from(src);
  for (const m of muts) {
    const len = Math.max(b.length, 1);
    const at = near !== undefined ? m.at % Math.min(len, near) : m.at % len;
    if (m.op === 'flip') { if (b.length) b[at]! ^= 1 << m.bit; }
    else if (m.op === 'set') { if (b.length) b[at] = m.byte; }
    else if (m.op === 'truncate') b = b.subarray(0, at);
    else if (m.op === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes), b.subarray(at)]);
    else b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.count)]);
  }
  return b;
}

/** Every path into a JSON value (objects and arrays), for field mutations. */
function paths(v: unknown, at: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [at];
  if (Array.isArray(v)) v.forEach((e, i) => out.push(...paths(e, [...at, i])));
  else if (v !== null && typeof v === 'object') for (const [k, e] of Object.entries(v)) out.push(...paths(e, [...at, k]));
  return out;
}

type FieldMutation = { op: 'replace'; path: number; value: unknown } | { op: 'delete'; path: number } | { op: 'add'; path: number; key: string; value: unknown } | { op: 'b64'; path: number; at: number; char: string };

const hostileValue = fc.oneof(
  fc.constantFrom(null, undefined, true, 0, -1, -0, 0.5, 1e9, 2 ** 31, 2 ** 32, 2 ** 53, -(2 ** 53), 1e308, NaN, Infinity, -Infinity, '', 'adam', 'softmax', [], {}, [1_000_000_000, 1], [3, 4, 2], [0], 'AAAA', '===='),
  fc.jsonValue({ maxDepth: 2 }),
  fc.integer(),
  fc.string({ maxLength: 12 }),
);
const fieldMutationArb: fc.Arbitrary<FieldMutation> = fc.oneof(
  fc.record({ op: fc.constant('replace' as const), path: fc.nat(), value: hostileValue }),
  fc.record({ op: fc.constant('delete' as const), path: fc.nat() }),
  fc.record({ op: fc.constant('add' as const), path: fc.nat(), key: fc.oneof(fc.constantFrom('layers', 'bias', 'extra', '__proto__', 'constructor', 'type', 'weights'), fc.string({ maxLength: 8 })), value: hostileValue }),
  fc.record({ op: fc.constant('b64' as const), path: fc.nat(), at: fc.nat(), char: fc.constantFrom('A', '/', '+', '=', '!', 'z', '0') }),
);

/** Applies field mutations to a copy of a JSON value. */
function mutateFields<T>(src: T, muts: FieldMutation[]): T {
  const root = { v: structuredClone(src) as unknown };
  for (const m of muts) {
    const all = paths(root.v);
    const p = all[m.path % all.length]!;
    const parentOf = (q: (string | number)[]): Record<string | number, unknown> => {
      let o: unknown = root;
      for (const k of ['v', ...q]) o = (o as Record<string | number, unknown>)[k];
      return o as Record<string | number, unknown>;
    };
    const key = p.length ? p[p.length - 1]! : 'v';
    const parent = p.length ? parentOf(p.slice(0, -1)) : (root as Record<string, unknown>);
    const cur = parent[key];
    if (m.op === 'replace') parent[key] = m.value;
    else if (m.op === 'delete') { if (Array.isArray(parent)) parent.splice(Number(key), 1); else delete parent[key]; }
    else if (m.op === 'add') { if (cur !== null && typeof cur === 'object' && !Array.isArray(cur)) Object.defineProperty(cur, m.key, { value: m.value, enumerable: true, configurable: true, writable: true }); }
    else if (typeof cur === 'string' && cur.length) parent[key] = cur.slice(0, m.at % cur.length) + m.char + cur.slice(m.at % cur.length + 1);
  }
  return root.v as T;
}

describe('fromJSON / load fuzzed with fast-check: a typed error or a working network, never a crash, a hang or an unvalidated allocation', () => {
  let goodObj: Record<string, unknown>, goodText: string, goodBin: Buffer;
  const fuzzDir = (): string => join(dir, 'fuzz');
  beforeAll(async () => {
    const net = new Network({ layers: [3, 4, 2], activation: 'tanh', outputActivation: 'softmax', optimizer: 'adam', seed: 4, threads: 1 });
    await net.fit([[1, 2, 3], [0, 1, 0], [3, 2, 1], [1, 1, 1]], [[1, 0], [0, 1], [1, 0], [0, 1]], { epochs: 3, batchSize: 2 });
    goodObj = net.toJSON() as unknown as Record<string, unknown>;
    goodText = JSON.stringify(goodObj);
    await rm(fuzzDir(), { recursive: true, force: true });
    await import('node:fs/promises').then((f) => f.mkdir(fuzzDir()));
    await net.save(join(fuzzDir(), 'good.wasmlp'));
    goodBin = await readFile(join(fuzzDir(), 'good.wasmlp'));
    net.dispose();
  });
  let n = 0;
  const loadBytes = async (bytes: Uint8Array | string, ext: string): Promise<Network> => {
    const path = join(fuzzDir(), `f${n++ % 16}.${ext}`);
    await writeFile(path, bytes);
    return Network.load(path);
  };
  const opts = { numRuns: RUNS, includeErrorInReport: true, ...(process.env.FC_SEED ? { seed: Number(process.env.FC_SEED) } : {}) };

  it('the unmodified files load (so every failure below is the mutation)', async () => {
    await expectTypedErrorOrNetwork(() => Network.fromJSON(goodObj));
    await expectTypedErrorOrNetwork(() => loadBytes(goodBin, 'wasmlp'));
    const ok = await loadBytes(goodBin, 'wasmlp');
    expect(ok.toJSON()).toEqual(goodObj);
    ok.dispose();
  });

  it(`.wasmlp bytes: ${RUNS} runs of flips, writes, truncations, insertions, deletions (half aimed at the header)`, async () => {
    await fc.assert(fc.asyncProperty(fc.array(mutationArb, { minLength: 1, maxLength: 4 }), fc.boolean(), async (muts, header) => {
      await expectTypedErrorOrNetwork(() => loadBytes(mutateBytes(goodBin, muts, header ? 12 + parseWasmlp(goodBin).hlen : undefined), 'wasmlp'));
    }), opts);
  }, 600_000);

  it(`.wasmlp header fields: ${RUNS} runs of field mutations with the header length and the CRC recomputed`, async () => {
    const f = parseWasmlp(goodBin);
    await fc.assert(fc.asyncProperty(fc.array(fieldMutationArb, { minLength: 1, maxLength: 3 }), fc.array(mutationArb, { maxLength: 2 }), async (fields, payload) => {
      const header = mutateFields(f.header, fields);
      let text: string | undefined;
      try { text = JSON.stringify(header); } catch { return; } // a mutation JSON cannot write
      if (text === undefined) return;
      await expectTypedErrorOrNetwork(() => loadBytes(buildWasmlp(header, mutateBytes(f.payload, payload)), 'wasmlp'));
    }), opts);
  }, 600_000);

  it(`JSON objects to fromJSON: ${RUNS} runs of field mutations (replace with hostile values, delete, add, base64 edits)`, async () => {
    await fc.assert(fc.asyncProperty(fc.array(fieldMutationArb, { minLength: 1, maxLength: 4 }), async (fields) => {
      await expectTypedErrorOrNetwork(() => Network.fromJSON(mutateFields(goodObj, fields)));
    }), opts);
  }, 600_000);

  it(`JSON text to fromJSON and load: ${RUNS} runs of byte mutations`, async () => {
    await fc.assert(fc.asyncProperty(fc.array(mutationArb, { minLength: 1, maxLength: 4 }), fc.boolean(), async (muts, viaFile) => {
      const text = mutateBytes(Buffer.from(goodText), muts);
      await expectTypedErrorOrNetwork(() => (viaFile ? loadBytes(text, 'json') : Network.fromJSON(text.toString('utf8'))));
    }), opts);
  }, 600_000);
});
