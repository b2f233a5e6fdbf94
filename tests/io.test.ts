// Save and load: exact JSON round trips, resuming training after save/load (.json and .wasmlp),
// the .wasmlp layout and checksum, typed FormatErrors for corrupt, truncated and hostile inputs
// with nothing large allocated, and atomic saves.
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Network, type NetworkOptions } from '../src/index.js';
import { backend } from '../src/internal.js';
import { FormatError } from '../src/errors.js';
import { crc32Fallback } from '../src/io.js';
import { rand } from './ref/network.js';
import { b64, buildWasmlp, parseWasmlp } from './reliability.js';

let dir = '';
beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'wasmlp-io-')); });
afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

// ************* helpers *************

function bits(net: Network): number[] {
  return net.getWeights().flatMap((l) => [...new Uint32Array(l.weights.slice().buffer), ...(l.bias ? new Uint32Array(l.bias.slice().buffer) : [])]);
}
const f32bits = (a: Float32Array): number[] => Array.from(new Uint32Array(a.slice().buffer));

function matrix(seed: number, n: number, cols: number, lo = -1, hi = 1): number[][] {
  const r = rand(seed);
  return Array.from({ length: n }, () => Array.from({ length: cols }, () => lo + (hi - lo) * r()));
}
function oneHot(seed: number, n: number, k: number): number[][] {
  const r = rand(seed);
  return Array.from({ length: n }, () => { const row = new Array<number>(k).fill(0); row[Math.floor(r() * k)] = 1; return row; });
}

/** CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), bit by bit: independent of zlib. */
function crc32Ref(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of data) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

describe('CRC-32 where node:zlib has none (Node < 20.15)', () => {
  it('the table-driven fallback equals the bitwise reference and zlib on random and edge inputs', () => {
    const r = rand(3);
    // check value of the standard: CRC-32("123456789") = 0xCBF43926
    expect(crc32Fallback(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    for (const n of [0, 1, 3, 255, 4096, 100_003]) {
      const data = Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
      expect(crc32Fallback(data)).toBe(crc32Ref(data));
      expect(crc32Fallback(data)).toBe(crc32(data));
    }
  });
});

function fromB64(s: string): Float32Array {
  const buf = Buffer.from(s, 'base64');
  const out = new Float32Array(buf.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(i * 4);
  return out;
}



const CLS: NetworkOptions = { layers: [4, 6, 3], activation: 'tanh', outputActivation: 'softmax', optimizer: 'adam', learningRate: 0.01, seed: 5 };
const X = matrix(1, 10, 4), Y = oneHot(2, 10, 3);
const PROBE = new Float32Array(matrix(3, 50, 4, -3, 3).flat());

/** A trained network (so weights, biases and optimizer state are all non-trivial). */
async function trained(o: NetworkOptions = CLS): Promise<Network> {
  const net = new Network(o);
  await net.fit(X, Y, { epochs: 2, batchSize: 4 });
  return net;
}

// ************* JSON *************

describe('toJSON / fromJSON', () => {
  it('JSON.stringify → fromJSON reproduces predictions bit for bit', async () => {
    const net = await trained();
    const text = JSON.stringify(net.toJSON());
    const back = Network.fromJSON(JSON.parse(text));
    expect(f32bits(back.predict(PROBE))).toEqual(f32bits(net.predict(PROBE)));
    expect(bits(back)).toEqual(bits(net));
    expect(back.options).toEqual(net.options);
    const fromText = Network.fromJSON(text); // the text itself is accepted too
    expect(f32bits(fromText.predict(PROBE))).toEqual(f32bits(net.predict(PROBE)));
    // control: an untrained network with the same options predicts differently
    expect(f32bits(new Network(CLS).predict(PROBE))).not.toEqual(f32bits(net.predict(PROBE)));
    net.dispose(); back.dispose(); fromText.dispose();
  });

  it('is readable: format, version, options, and weights as base64 of little-endian float32', async () => {
    const net = await trained();
    const j = net.toJSON();
    expect(j.format).toBe('wasmlp');
    expect(j.version).toBe(2);
    expect(j.options.layers).toEqual([4, 6, 3]);
    expect(j.options.optimizer).toEqual({ type: 'adam', learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, weightDecay: 0 });
    expect(j.optimizer.iterations).toBe(6); // 2 epochs × ceil(10 / 4) steps
    expect(j.optimizer.state).toHaveLength(4 * 2); // adam: m and v for 4 parameter blocks
    net.getWeights().forEach((l, i) => {
      const e = j.layers[i]!;
      if (e.type !== 'dense') throw new Error(`layer ${i} is ${e.type}`);
      expect(e.rows).toBe(l.rows);
      expect(e.cols).toBe(l.cols);
      expect(f32bits(fromB64(e.weights))).toEqual(f32bits(l.weights));
      expect(f32bits(fromB64(e.bias!))).toEqual(f32bits(l.bias!));
    });
    net.dispose();
  });
});

// ************* resuming *************

describe('training resumes exactly after save and load', () => {
  const fitOpts = { epochs: 1, batchSize: 4, shuffle: true } as const;
  const optimizers: [string, NetworkOptions['optimizer']][] = [
    ['adam', 'adam'],
    ['sgd', 'sgd'],
    ['sgd with Nesterov momentum and weight decay', { type: 'sgd', learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 }],
    ['rmsprop', { type: 'rmsprop', learningRate: 0.01 }],
  ];
  const opts = (optimizer: NetworkOptions['optimizer']): NetworkOptions => ({ ...CLS, optimizer, learningRate: optimizer === 'adam' ? 0.01 : undefined });

  it('adam, shuffle on: A fits 2 epochs; B fits 1, is saved (.json and .wasmlp), loaded and fits 1 more → bit-identical to A', async () => {
    const a = new Network(CLS);
    await a.fit(X, Y, { ...fitOpts, epochs: 2 });
    const b = new Network(CLS);
    await b.fit(X, Y, fitOpts);
    await b.save(join(dir, 'resume.json'));
    await b.save(join(dir, 'resume.wasmlp'));
    // control: the same weights without the optimizer state and shuffle state end elsewhere
    const weightsOnly = new Network(CLS);
    weightsOnly.setWeights(b.getWeights());
    await weightsOnly.fit(X, Y, fitOpts);
    expect(bits(weightsOnly)).not.toEqual(bits(a));
    for (const file of ['resume.json', 'resume.wasmlp']) {
      const c = await Network.load(join(dir, file));
      await c.fit(X, Y, fitOpts);
      expect(bits(c), file).toEqual(bits(a));
      c.dispose();
    }
    a.dispose(); b.dispose(); weightsOnly.dispose();
  });

  it.each(optimizers)('%s, shuffle off: 1 epoch, save (.json and .wasmlp), load, 2 more epochs → bit-identical to 3 epochs without stopping', async (_name, optimizer) => {
    const a = new Network(opts(optimizer));
    await a.fit(X, Y, { ...fitOpts, shuffle: false, epochs: 3 });
    const b = new Network(opts(optimizer));
    await b.fit(X, Y, { ...fitOpts, shuffle: false });
    const tag = typeof optimizer === 'string' ? optimizer : optimizer!.type;
    for (const file of [`r-${tag}.json`, `r-${tag}.wasmlp`]) {
      await b.save(join(dir, file));
      const c = await Network.load(join(dir, file));
      await c.fit(X, Y, { ...fitOpts, shuffle: false, epochs: 2 });
      expect(bits(c), file).toEqual(bits(a));
      c.dispose();
    }
    a.dispose(); b.dispose();
  });

  it.each(optimizers)('%s, shuffle on: a loaded network trains on exactly as the saved one does (optimizer and shuffle state restored)', async (_name, optimizer) => {
    const b = new Network(opts(optimizer));
    await b.fit(X, Y, fitOpts);
    const tag = typeof optimizer === 'string' ? optimizer : optimizer!.type;
    const loaded = [Network.fromJSON(JSON.stringify(b.toJSON()))];
    await b.save(join(dir, `s-${tag}.wasmlp`));
    loaded.push(await Network.load(join(dir, `s-${tag}.wasmlp`)));
    await b.fit(X, Y, { ...fitOpts, epochs: 2 });
    for (const c of loaded) {
      await c.fit(X, Y, { ...fitOpts, epochs: 2 });
      expect(bits(c)).toEqual(bits(b));
      c.dispose();
    }
    b.dispose();
  });
});

// ************* .wasmlp layout *************

describe('.wasmlp layout', () => {
  it('magic, version, header length, JSON header, padding, float32 LE payload, CRC32 of the payload', async () => {
    const net = await trained();
    const path = join(dir, 'layout.wasmlp');
    await net.save(path);
    const bytes = await readFile(path);
    expect(bytes.toString('latin1', 0, 6)).toBe('WASMLP');
    const f = parseWasmlp(bytes);
    expect(f.version).toBe(2);
    expect(f.header.format).toBe('wasmlp');
    expect((f.header.options as { layers: number[] }).layers).toEqual([4, 6, 3]);
    expect(f.start % 4).toBe(0);
    expect([...bytes.subarray(12 + f.hlen, f.start)].every((b) => b === 0)).toBe(true); // zero padding
    // payload: parameters (4·6 + 6 + 6·3 + 3 = 51 floats), then adam's m and v for each (2 · 51)
    expect(f.payload.length).toBe(4 * 51 * 3);
    expect(f.stored).toBe(crc32(f.payload));
    expect(f.stored).toBe(crc32Ref(f.payload));
    // the payload starts with layer 0's weights and bias, little-endian
    const [l0] = net.getWeights();
    const first = Array.from({ length: 24 + 6 }, (_, i) => f.payload.readFloatLE(i * 4));
    expect(first).toEqual([...l0!.weights, ...l0!.bias!]);
    net.dispose();
  });
});

// ************* hostile input *************

/** Runs `fn`, expects a FormatError matching `re`, and that wasm memory was not touched. */
async function expectFormatError(fn: () => unknown, re: RegExp): Promise<void> {
  const { arena } = backend();
  const used = arena.bytesInUse, blocks = arena.liveBlocks, mem = arena.memoryBytes;
  let caught: unknown;
  try { await fn(); } catch (e) { caught = e; }
  expect(caught, 'expected a FormatError').toBeInstanceOf(FormatError);
  expect((caught as Error).message).toMatch(re);
  expect([arena.bytesInUse, arena.liveBlocks, arena.memoryBytes], 'wasm memory in use / live blocks / size').toEqual([used, blocks, mem]);
}

describe('corrupt, truncated and hostile .wasmlp files → FormatError naming the problem, nothing allocated', () => {
  let good: Buffer;
  beforeAll(async () => {
    const net = await trained();
    await net.save(join(dir, 'good.wasmlp'));
    good = await readFile(join(dir, 'good.wasmlp'));
    net.dispose();
  });
  const loadBytes = async (name: string, bytes: Uint8Array): Promise<Network> => {
    const path = join(dir, name);
    await writeFile(path, bytes);
    return Network.load(path);
  };

  it('the unmodified file loads (so every failure below is the modification)', async () => {
    const net = await loadBytes('copy.wasmlp', good);
    expect(net.sizes).toEqual([4, 6, 3]);
    net.dispose();
  });

  it('truncated: in the payload, in the header, and to a few bytes', async () => {
    await expectFormatError(() => loadBytes('t1.wasmlp', good.subarray(0, good.length - 9)), /expected \d+ bytes for \d+ floats, the file has \d+ \(truncated\)/);
    await expectFormatError(() => loadBytes('t2.wasmlp', good.subarray(0, 40)), /header length \d+ does not fit in a 40-byte file/);
    await expectFormatError(() => loadBytes('t3.wasmlp', good.subarray(0, 10)), /10 bytes is too short for a \.wasmlp file/);
  });

  it('one flipped payload byte → checksum mismatch', async () => {
    const bad = Buffer.from(good);
    const { start } = parseWasmlp(bad);
    bad[start + 17]! ^= 0x10;
    await expectFormatError(() => loadBytes('flip.wasmlp', bad), /checksum mismatch .*corrupted/);
    // and a flipped checksum byte too
    const bad2 = Buffer.from(good);
    bad2[bad2.length - 1]! ^= 0x01;
    await expectFormatError(() => loadBytes('flip2.wasmlp', bad2), /checksum mismatch/);
  });

  it('a header claiming layers [1000000000, 1] (consistent, header length recomputed)', async () => {
    const f = parseWasmlp(good);
    const h = structuredClone(f.header) as Record<string, unknown> & { options: { layers: number[]; activation: string[] } };
    h.options.layers = [1_000_000_000, 1];
    h.options.activation = []; // no hidden layers
    h.layers = [{ type: 'dense', rows: 1, cols: 1_000_000_000 }];
    h.payloadFloats = 3 * (1_000_000_000 + 1);
    await expectFormatError(() => loadBytes('huge.wasmlp', buildWasmlp(h, f.payload)), /header\.options: options\.layers: .*4 GiB/);
    // within wasm32's limit (10^8 inputs) the header passes, and the payload length gives it away
    h.options.layers = [100_000_000, 1];
    h.layers = [{ type: 'dense', rows: 1, cols: 100_000_000 }];
    h.payloadFloats = 3 * (100_000_000 + 1);
    await expectFormatError(() => loadBytes('big.wasmlp', buildWasmlp(h, f.payload)), /expected \d+ bytes for 300000003 floats, the file has \d+ \(truncated\)/);
  });

  it('a header whose sizes disagree with its options, or with the payload', async () => {
    const f = parseWasmlp(good);
    const h = structuredClone(f.header) as Record<string, unknown>;
    h.layers = [{ type: 'dense', rows: 6, cols: 4 }, { type: 'dense', rows: 3, cols: 7 }];
    await expectFormatError(() => loadBytes('shape.wasmlp', buildWasmlp(h, f.payload)), /layers\[1\]: expected rows 3 × cols 6, got 3 × 7/);
    const h2 = structuredClone(f.header) as Record<string, unknown>;
    h2.payloadFloats = 10;
    await expectFormatError(() => loadBytes('count.wasmlp', buildWasmlp(h2, f.payload)), /payloadFloats: the options need 153 floats, the header says 10/);
  });

  it('version 3 (not yet written), and a header whose version contradicts the file\'s', async () => {
    const bad = Buffer.from(good);
    bad.writeUInt16LE(3, 6);
    await expectFormatError(() => loadBytes('v3.wasmlp', bad), /reads format versions 1 and 2, the file has version 3/);
    const f = parseWasmlp(good);
    await expectFormatError(() => loadBytes('v1v2.wasmlp', buildWasmlp(f.header, f.payload, { version: 1 })), /header\.version: 2 contradicts the file's version 1/);
  });

  it('a header length pointing past the end, and a header that is not JSON', async () => {
    const bad = Buffer.from(good);
    bad.writeUInt32LE(0xfffffff0, 8);
    await expectFormatError(() => loadBytes('hlen.wasmlp', bad), /header length 4294967280 does not fit/);
    const f = parseWasmlp(good);
    const garbage = Buffer.from(good);
    garbage.write('}'.repeat(8), 12, 'latin1');
    expect(f.hlen).toBeGreaterThan(8);
    await expectFormatError(() => loadBytes('hjson.wasmlp', garbage), /the header is not valid JSON/);
  });

  it('NaN in the payload (checksum recomputed)', async () => {
    const f = parseWasmlp(good);
    const payload = Buffer.from(f.payload);
    payload.writeFloatLE(NaN, 4 * 5);
    await expectFormatError(() => loadBytes('nan.wasmlp', buildWasmlp(f.header, payload)), /block 0: value 5 is NaN, expected a finite number/);
  });

  it('a random non-model file, and random bytes behind the magic', async () => {
    const r = rand(77);
    const junk = Buffer.from(Array.from({ length: 4096 }, () => Math.floor(r() * 256)));
    await expectFormatError(() => loadBytes('junk.bin', junk), /neither a \.wasmlp file nor valid JSON/);
    const magicJunk = Buffer.concat([Buffer.from('WASMLP', 'latin1'), junk]);
    await expectFormatError(() => loadBytes('junk.wasmlp', magicJunk), /version|header length|not valid JSON/);
    await expectFormatError(() => loadBytes('text.json', Buffer.from('{"hello": "world"}')), /model\.hello: unknown field/);
  });
});

describe('corrupt and hostile JSON → FormatError naming the problem, nothing allocated', () => {
  let good: ReturnType<Network['toJSON']>;
  beforeAll(async () => { const net = await trained(); good = net.toJSON(); net.dispose(); });
  const edited = (edit: (j: Record<string, any>) => void): Record<string, unknown> => {
    const j = JSON.parse(JSON.stringify(good)) as Record<string, unknown>;
    edit(j);
    return j;
  };
  /** Checks both Network.fromJSON(object) and Network.load(file). */
  const both = async (name: string, j: unknown, re: RegExp): Promise<void> => {
    await expectFormatError(() => Network.fromJSON(j), re);
    const path = join(dir, `${name}.json`);
    await writeFile(path, JSON.stringify(j));
    await expectFormatError(() => Network.load(path), re);
  };

  it('the unmodified JSON loads', () => {
    const net = Network.fromJSON(edited(() => {}));
    expect(net.sizes).toEqual([4, 6, 3]);
    net.dispose();
  });

  it('a missing field', async () => {
    await both('missing', edited((j) => { delete j.optimizer; }), /model\.optimizer: missing/);
    await both('missing2', edited((j) => { delete j.layers[1].bias; }), /model\.layers\[1\]\.bias: missing/);
  });

  it('an extra field', async () => {
    await both('extra', edited((j) => { j.comment = 'hi'; }), /model\.comment: unknown field/);
  });

  it('a base64 block of the wrong length', async () => {
    await both('b64len', edited((j) => { j.layers[0].weights = j.layers[0].weights.slice(4); }), /model\.layers\[0\]\.weights: expected 128 base64 characters \(24 float32s\), got 124/);
    await both('b64state', edited((j) => { j.optimizer.state[3] = b64([1, 2]); }), /model\.optimizer\.state\[3\]: expected 32 base64 characters \(6 float32s\), got 12/);
    await both('b64chars', edited((j) => { j.layers[0].bias = '!'.repeat(j.layers[0].bias.length); }), /model\.layers\[0\]\.bias: not valid base64/);
  });

  it('NaN and Infinity inside a weight block', async () => {
    const w = Array.from(fromB64((good.layers[0] as { weights: string }).weights));
    w[3] = NaN;
    await both('nan', edited((j) => { j.layers[0].weights = b64(w); }), /model\.layers\[0\]\.weights: value 3 is NaN, expected a finite number/);
    w[3] = 0; w[20] = -Infinity;
    await both('inf', edited((j) => { j.layers[0].weights = b64(w); }), /model\.layers\[0\]\.weights: value 20 is -Infinity/);
  });

  it('version 2, a wrong format tag, bad options', async () => {
    await both('v3', edited((j) => { j.version = 3; }), /model\.version: this wasmlp reads format versions 1 and 2, got 3/);
    await both('fmt', edited((j) => { j.format = 'keras'; }), /model\.format: expected 'wasmlp', got "keras"/);
    await both('opt', edited((j) => { j.options.activation = ['sigmod']; }), /model\.options: options\.activation\[0\]: .*did you mean 'sigmoid'/);
  });

  it('hostile sizes: layers [1000000000, 1], and [100000000, 1] with blocks too short for them', async () => {
    await both('huge', edited((j) => { j.options.layers = [1_000_000_000, 1]; j.options.activation = []; j.layers = [{ type: 'dense', rows: 1, cols: 1_000_000_000, weights: '', bias: '' }]; }), /model\.options: options\.layers: .*4 GiB/);
    await both('big', edited((j) => {
      j.options.layers = [100_000_000, 1];
      j.options.activation = [];
      j.layers = [{ type: 'dense', rows: 1, cols: 100_000_000, weights: b64([1, 2]), bias: b64([0]) }];
      j.optimizer.state = [b64([0]), b64([0]), b64([0]), b64([0])];
    }), /model\.layers\[0\]\.weights: expected 533333336 base64 characters \(100000000 float32s\), got 12/);
  });

  it('layer shapes or optimizer state that disagree with the options', async () => {
    await both('rows', edited((j) => { j.layers[0].rows = 5; }), /model\.layers\[0\]: expected rows 6 × cols 4, got 5 × 4/);
    await both('state', edited((j) => { j.optimizer.state.pop(); }), /model\.optimizer\.state: expected 8 base64 blocks for 'adam'/);
    await both('iters', edited((j) => { j.optimizer.iterations = -1; }), /model\.optimizer\.iterations: expected an integer/);
  });

  it('text that is not JSON', async () => {
    await expectFormatError(() => Network.fromJSON('{"format": "wasmlp",'), /model: not valid JSON/);
    const path = join(dir, 'broken.json');
    await writeFile(path, JSON.stringify(good).slice(0, 200));
    await expectFormatError(() => Network.load(path), /neither a \.wasmlp file nor valid JSON/);
  });
});

// ************* atomic save *************

describe('save', () => {
  it('replaces an existing file and leaves no temporary files in the folder', async () => {
    const sub = await mkdtemp(join(dir, 'save-'));
    const a = await trained(), b = await trained({ ...CLS, seed: 99 });
    for (const name of ['m.json', 'm.wasmlp']) {
      const path = join(sub, name);
      await writeFile(path, 'old contents that are not a model');
      await a.save(path);
      const la = await Network.load(path);
      expect(f32bits(la.predict(PROBE))).toEqual(f32bits(a.predict(PROBE)));
      await b.save(path); // over a valid model
      const lb = await Network.load(path);
      expect(f32bits(lb.predict(PROBE))).toEqual(f32bits(b.predict(PROBE)));
      expect(bits(lb)).not.toEqual(bits(a));
      la.dispose(); lb.dispose();
    }
    expect((await readdir(sub)).sort()).toEqual(['m.json', 'm.wasmlp']);
    a.dispose(); b.dispose();
  });

  it('a save into a missing folder rejects and creates nothing', async () => {
    const net = new Network(CLS);
    const missing = join(dir, 'no-such-folder', 'm.wasmlp');
    await expect(net.save(missing)).rejects.toThrow(/ENOENT/);
    expect((await readdir(dir)).includes('no-such-folder')).toBe(false);
    net.dispose();
  });
});

describe('file errors are typed', () => {
  it('load of a missing file and save into a missing folder give FileError with the path and code', async () => {
    const { FileError, WasmlpError } = await import('../src/index.js');
    const missing = join(tmpdir(), `wasmlp-missing-${process.pid}`, 'net.json');
    await expect(Network.load(missing)).rejects.toThrow(FileError);
    await expect(Network.load(missing)).rejects.toThrow(/path: cannot read .*net\.json.*ENOENT/);
    const net = new Network({ layers: [2, 1] });
    const err = await net.save(missing).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FileError);
    expect(err).toBeInstanceOf(WasmlpError);
    expect((err as InstanceType<typeof FileError>).code).toBe('ENOENT');
    net.dispose();
  });
});
