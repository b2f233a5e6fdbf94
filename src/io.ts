// Saving and loading: a network's state as a Snapshot (options + float blocks in a fixed order),
// written as human-readable JSON (base64 float32 blocks) or as the compact binary `.wasmlp`.
// Everything is validated against the options before anything large is allocated.
import * as zlib from 'node:zlib';
import { closeSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { ArgumentTypeError, FileError, FormatError, WasmlpError, describe } from './errors.js';
import { resolveOptions, type LayerInput, type ResolvedOptions } from './options.js';
import { blocksOf, stackOf, type StackEntry } from './layers/stack.js';
import { assertSavable } from './schedules.js';

export const FORMAT = 'wasmlp';
/**
 * The version written. 2: one `layers` entry per layer of the stack, with its type (dense:
 * rows, cols, weights, bias; the others: size and their named blocks), and the layers'
 * non-trainable blocks after the optimizer state. 1 (read): dense layers only, no types.
 */
export const FORMAT_VERSION = 2;
const READS = [1, 2];
const MAGIC = 'WASMLP';
const MAX_HEADER = 16 * 1024 * 1024;

/** Everything needed to rebuild a network exactly, training state included. */
export interface Snapshot {
  options: ResolvedOptions<LayerInput[]>;
  /** The trainable blocks of every layer (dense: weights, bias?; normalization: γ?, β?), then every optimizer slot in parameter order, then the layers' non-trainable blocks (moving mean, variance). */
  blocks: Float32Array[];
  iterations: number;
  /** The optimizer's rateScale (fit's reduceLROnPlateau); 1 when absent from a file. */
  rateScale?: number;
  shuffleState: number;
}

/** One layer of a JSON model file (format version 2). */
export type LayerJSON =
  | { type: 'dense'; rows: number; cols: number; weights: string; bias: string | null }
  | { type: 'batchNormalization'; size: number; gamma: string | null; beta: string | null; movingMean: string; movingVariance: string }
  | { type: 'layerNormalization'; size: number; gamma: string | null; beta: string | null }
  | { type: 'dropout'; size: number };

/** The JSON form written by `toJSON()`. */
export interface NetworkJSON {
  format: 'wasmlp';
  version: number;
  options: Omit<ResolvedOptions<LayerInput[]>, 'learningRate'>;
  /** One entry per layer: its shape and its blocks as base64 float32 (null when the layer has none). */
  layers: LayerJSON[];
  optimizer: { iterations: number; state: string[]; learningRateScale?: number };
  shuffleState: number;
}

/** Optimizer state slots per parameter block. */
export function slotsPerParam(o: ResolvedOptions<LayerInput[]>): number {
  const c = o.optimizer;
  if (c.type === 'adam' || c.type === 'adamw') return 2;
  if (c.type === 'rmsprop') return 1;
  return c.momentum !== 0 || c.weightDecay !== 0 ? 1 : 0;
}

/** Lengths of the trainable blocks, in order (per layer: weights then bias; γ then β). */
export function paramLengths(o: ResolvedOptions<LayerInput[]>): number[] {
  return stackOf(o).flatMap((e) => blocksOf(e).trainable.map((b) => b.length));
}

/** Lengths of the layers' non-trainable blocks, in order. */
function stateLengths(o: ResolvedOptions<LayerInput[]>): number[] {
  return stackOf(o).flatMap((e) => blocksOf(e).state.map((b) => b.length));
}

/** A layer's shape as the headers write it (version 1: dense rows/cols only). */
function layerShape(e: StackEntry, version: number): Record<string, unknown> {
  if (version === 1) return { rows: e.outSize, cols: e.inSize };
  return e.spec.type === 'dense' ? { type: 'dense', rows: e.outSize, cols: e.inSize } : { type: e.spec.type, size: e.outSize };
}

/** The names of the blocks a layer's JSON entry holds (present or null). */
function blockNames(e: StackEntry): string[] {
  switch (e.spec.type) {
    case 'dense': return ['weights', 'bias'];
    case 'dropout': return [];
    case 'batchNormalization': return ['gamma', 'beta', 'movingMean', 'movingVariance'];
    case 'layerNormalization': return ['gamma', 'beta'];
  }
}

/** The options as saved: a plain deep copy (the network's own are frozen), without the learningRate shorthand. A function learning rate cannot be saved: an OptionError. */
function savedOptions(o: ResolvedOptions<LayerInput[]>): Omit<ResolvedOptions<LayerInput[]>, 'learningRate'> {
  assertSavable(o.optimizer.learningRate);
  const { learningRate: _lr, ...rest } = o;
  return structuredClone(rest) as Omit<ResolvedOptions<LayerInput[]>, 'learningRate'>;
}

/** CRC-32 (IEEE): node:zlib's from Node 20.15, this table-driven one before (engines says ≥ 20). */
const crc32: (data: Uint8Array) => number = (zlib as { crc32?: (data: Uint8Array) => number }).crc32 ?? crc32Table;

let CRC_TABLE: Uint32Array | undefined;
function crc32Table(data: Uint8Array): number {
  const t = (CRC_TABLE ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  }));
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** For tests: the fallback used where node:zlib has no crc32. */
export const crc32Fallback = crc32Table;

function toBase64(a: Float32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

function fromBase64(s: unknown, floats: number, name: string): Float32Array {
  const bytes = floats * 4;
  const want = 4 * Math.ceil(bytes / 3);
  if (typeof s !== 'string') throw new FormatError(`${name}: expected a base64 string of ${floats} float32s, got ${describe(s)}`);
  if (s.length !== want) throw new FormatError(`${name}: expected ${want} base64 characters (${floats} float32s), got ${s.length}`);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s)) throw new FormatError(`${name}: not valid base64`);
  const buf = Buffer.from(s, 'base64');
  if (buf.length !== bytes) throw new FormatError(`${name}: decodes to ${buf.length} bytes, expected ${bytes}`);
  const out = new Float32Array(floats);
  new Uint8Array(out.buffer).set(buf);
  if (!littleEndian) for (let i = 0; i < floats; i++) out[i] = buf.readFloatLE(i * 4);
  return checkFinite(out, name);
}

const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function checkFinite(a: Float32Array, name: string): Float32Array {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) throw new FormatError(`${name}: value ${i} is ${a[i]}, expected a finite number`);
  return a;
}

function plainObject(v: unknown, name: string, keys: string[], optional: string[] = []): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new FormatError(`${name}: expected an object, got ${describe(v)}`);
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!keys.includes(k) && !optional.includes(k)) throw new FormatError(`${name}.${k}: unknown field (expected ${[...keys, ...optional].join(', ')})`);
  for (const k of keys) if (!(k in o)) throw new FormatError(`${name}.${k}: missing`);
  return o;
}

function count(v: unknown, name: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v > max) throw new FormatError(`${name}: expected an integer in [0, ${max}], got ${describe(v)}`);
  return v;
}

/** Validates the parts shared by both formats; returns the resolved options. */
function checkHeader(o: Record<string, unknown>, where: string): ResolvedOptions<LayerInput[]> {
  if (o.format !== FORMAT) throw new FormatError(`${where}.format: expected '${FORMAT}', got ${describe(o.format)}`);
  if (!READS.includes(o.version as number)) {
    throw new FormatError(`${where}.version: this wasmlp reads format versions ${READS.join(' and ')}, got ${describe(o.version)}`);
  }
  let options: ResolvedOptions<LayerInput[]>;
  try { options = resolveOptions(o.options); } catch (e) {
    if (e instanceof WasmlpError) throw new FormatError(`${where}.options: ${e.message}`);
    throw e;
  }
  count(o.shuffleState, `${where}.shuffleState`, 0xffffffff);
  return options;
}

function checkLayerShapes(layers: unknown, options: ResolvedOptions<LayerInput[]>, where: string, version: number, blocks: boolean): Record<string, unknown>[] {
  if (!Array.isArray(layers)) throw new FormatError(`${where}.layers: expected an array, got ${describe(layers)}`);
  const stack = stackOf(options);
  if (version === 1 && stack.some((e) => e.spec.type !== 'dense')) throw new FormatError(`${where}.options.layers: version 1 files hold dense layers only`);
  if (layers.length !== stack.length) throw new FormatError(`${where}.layers: expected ${stack.length} layers for the options' layer list, got ${layers.length}`);
  return layers.map((l, i) => {
    const shape = layerShape(stack[i]!, version);
    const keys = [...Object.keys(shape), ...(blocks ? blockNames(stack[i]!) : [])];
    const e = plainObject(l, `${where}.layers[${i}]`, keys);
    if (version >= 2 && e.type !== shape.type) throw new FormatError(`${where}.layers[${i}].type: the options say ${describe(shape.type)}, got ${describe(e.type)}`);
    if ('rows' in shape && (e.rows !== shape.rows || e.cols !== shape.cols)) {
      throw new FormatError(`${where}.layers[${i}]: expected rows ${shape.rows} × cols ${shape.cols}, got ${describe(e.rows)} × ${describe(e.cols)}`);
    }
    if ('size' in shape && e.size !== shape.size) throw new FormatError(`${where}.layers[${i}]: expected size ${shape.size}, got ${describe(e.size)}`);
    return e;
  });
}

export function encodeJSON(s: Snapshot): NetworkJSON {
  const stack = stackOf(s.options);
  const per = slotsPerParam(s.options);
  const nParams = paramLengths(s.options).length;
  let k = 0, st = nParams + nParams * per;
  const layers = stack.map((e) => {
    const entry: Record<string, unknown> = layerShape(e, FORMAT_VERSION);
    const { trainable, state } = blocksOf(e);
    for (const name of blockNames(e)) entry[name] = null;
    for (const b of trainable) entry[b.name] = toBase64(s.blocks[k++]!);
    for (const b of state) entry[b.name] = toBase64(s.blocks[st++]!);
    return entry as LayerJSON;
  });
  const state = s.blocks.slice(nParams, nParams + nParams * per).map(toBase64);
  return { format: FORMAT, version: FORMAT_VERSION, options: savedOptions(s.options), layers, optimizer: { iterations: s.iterations, state, ...scaleField(s) }, shuffleState: s.shuffleState };
}

export function decodeJSON(v: unknown): Snapshot {
  const o = plainObject(v, 'model', ['format', 'version', 'options', 'layers', 'optimizer', 'shuffleState']);
  const options = checkHeader(o, 'model');
  const version = o.version as number;
  const layers = checkLayerShapes(o.layers, options, 'model', version, true);
  const opt = plainObject(o.optimizer, 'model.optimizer', ['iterations', 'state'], ['learningRateScale']);
  const iterations = count(opt.iterations, 'model.optimizer.iterations');
  const rateScale = scaleOf(opt.learningRateScale, 'model.optimizer.learningRateScale');
  const lengths = paramLengths(options);
  const per = slotsPerParam(options);
  if (!Array.isArray(opt.state) || opt.state.length !== lengths.length * per) {
    throw new FormatError(`model.optimizer.state: expected ${lengths.length * per} base64 blocks for '${options.optimizer.type}', got ${describe(opt.state)}`);
  }
  const blocks: Float32Array[] = [];
  const states: Float32Array[] = [];
  stackOf(options).forEach((e, i) => {
    const { trainable, state } = blocksOf(e);
    const present = new Set([...trainable, ...state].map((b) => b.name));
    for (const b of trainable) blocks.push(fromBase64(layers[i]![b.name], b.length, `model.layers[${i}].${b.name}`));
    for (const b of state) states.push(fromBase64(layers[i]![b.name], b.length, `model.layers[${i}].${b.name}`));
    for (const name of blockNames(e)) {
      if (!present.has(name) && layers[i]![name] !== null) throw new FormatError(`model.layers[${i}].${name}: expected null (the options give this layer no ${name}), got ${describe(layers[i]![name])}`);
    }
  });
  (opt.state as unknown[]).forEach((b, j) => blocks.push(fromBase64(b, lengths[Math.floor(j / per)]!, `model.optimizer.state[${j}]`)));
  blocks.push(...states);
  return { options, blocks, iterations, rateScale, shuffleState: o.shuffleState as number };
}

/** The optimizer record's learningRateScale field: only when the scale is not 1, so other files keep their bytes. */
function scaleField(s: Snapshot): { learningRateScale?: number } {
  return s.rateScale !== undefined && s.rateScale !== 1 ? { learningRateScale: s.rateScale } : {};
}

/** A saved learningRateScale: absent (1) or a number in (0, 1]. */
function scaleOf(v: unknown, name: string): number {
  if (v === undefined) return 1;
  if (typeof v !== 'number' || !(v > 0 && v <= 1)) throw new FormatError(`${name}: expected a number in (0, 1], got ${describe(v)}`);
  return v;
}

/** `.wasmlp`: "WASMLP", u16 version, u32 header length, JSON header, zero padding to 4 bytes, float32 LE payload, u32 CRC32 of the payload. */
export function encodeBinary(s: Snapshot): Uint8Array {
  const floats = s.blocks.reduce((n, b) => n + b.length, 0);
  const header = Buffer.from(JSON.stringify({
    format: FORMAT, version: FORMAT_VERSION, options: savedOptions(s.options),
    layers: stackOf(s.options).map((e) => layerShape(e, FORMAT_VERSION)),
    optimizer: { iterations: s.iterations, slots: slotsPerParam(s.options), ...scaleField(s) },
    shuffleState: s.shuffleState, payloadFloats: floats,
  }), 'utf8');
  const start = align4(12 + header.length);
  const out = Buffer.alloc(start + floats * 4 + 4);
  out.write(MAGIC, 0, 'latin1');
  out.writeUInt16LE(FORMAT_VERSION, 6);
  out.writeUInt32LE(header.length, 8);
  header.copy(out, 12);
  let at = start;
  for (const b of s.blocks) for (let i = 0; i < b.length; i++, at += 4) out.writeFloatLE(b[i]!, at);
  out.writeUInt32LE(crc32(out.subarray(start, at)), at);
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

export function decodeBinary(bytes: Uint8Array, name: string): Snapshot {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 16) throw new FormatError(`${name}: ${buf.length} bytes is too short for a .wasmlp file`);
  if (buf.toString('latin1', 0, 6) !== MAGIC) throw new FormatError(`${name}: not a .wasmlp file (the first bytes are not "${MAGIC}")`);
  const version = buf.readUInt16LE(6);
  if (!READS.includes(version)) throw new FormatError(`${name}: this wasmlp reads format versions ${READS.join(' and ')}, the file has version ${version}`);
  const hlen = buf.readUInt32LE(8);
  if (hlen > MAX_HEADER || 12 + hlen + 4 > buf.length) throw new FormatError(`${name}: header length ${hlen} does not fit in a ${buf.length}-byte file`);
  let header: unknown;
  try { header = JSON.parse(buf.toString('utf8', 12, 12 + hlen)); } catch (e) {
    throw new FormatError(`${name}: the header is not valid JSON (${(e as Error).message})`);
  }
  const o = plainObject(header, `${name} header`, ['format', 'version', 'options', 'layers', 'optimizer', 'shuffleState', 'payloadFloats']);
  const options = checkHeader(o, `${name} header`);
  if (o.version !== version) throw new FormatError(`${name} header.version: ${describe(o.version)} contradicts the file's version ${version}`);
  checkLayerShapes(o.layers, options, `${name} header`, version, false);
  const opt = plainObject(o.optimizer, `${name} header.optimizer`, ['iterations', 'slots'], ['learningRateScale']);
  const iterations = count(opt.iterations, `${name} header.optimizer.iterations`);
  const rateScale = scaleOf(opt.learningRateScale, `${name} header.optimizer.learningRateScale`);
  const per = slotsPerParam(options);
  if (opt.slots !== per) throw new FormatError(`${name} header.optimizer.slots: expected ${per} for '${options.optimizer.type}', got ${describe(opt.slots)}`);
  const lengths = paramLengths(options);
  const all = [...lengths, ...lengths.flatMap((n) => new Array<number>(per).fill(n)), ...stateLengths(options)];
  const floats = all.reduce((a, b) => a + b, 0);
  if (o.payloadFloats !== floats) throw new FormatError(`${name} header.payloadFloats: the options need ${floats} floats, the header says ${describe(o.payloadFloats)}`);
  const start = align4(12 + hlen);
  const expected = start + floats * 4 + 4;
  if (buf.length !== expected) {
    throw new FormatError(`${name}: expected ${expected} bytes for ${floats} floats, the file has ${buf.length}${buf.length < expected ? ' (truncated)' : ''}`);
  }
  const payload = buf.subarray(start, start + floats * 4);
  const stored = buf.readUInt32LE(start + floats * 4);
  const actual = crc32(payload);
  if (stored !== actual) throw new FormatError(`${name}: checksum mismatch (stored CRC32 ${stored.toString(16)}, computed ${actual.toString(16)}): the payload is corrupted`);
  let at = 0;
  const blocks = all.map((n, j) => {
    const b = new Float32Array(n);
    for (let i = 0; i < n; i++, at += 4) b[i] = payload.readFloatLE(at);
    return checkFinite(b, `${name} block ${j}`);
  });
  return { options, blocks, iterations, rateScale, shuffleState: o.shuffleState as number };
}

function align4(n: number): number { return (n + 3) & ~3; }

/** A fresh temporary name next to `path`: `.<name>.<pid>.<time><random>.tmp`. */
function tempName(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}.tmp`);
}

/**
 * Writes `data` to a temporary file in the same folder (`.<name>.<pid>.<random>.tmp`), flushes it,
 * then renames it over `path`. First removes the temporary files of the same target name left by
 * saves whose process no longer exists (killed mid-save); never those of a live process.
 */
export async function atomicWrite(path: string, data: Uint8Array | string): Promise<void> {
  let names: string[] = [];
  try { names = await readdir(dirname(path)); } catch { /* the write below reports an unusable folder */ }
  for (const name of staleTemps(path, names)) await rm(join(dirname(path), name), { force: true }).catch(() => {});
  const tmp = tempName(path);
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try { await rename(tmp, path); } catch (e) { await rm(tmp, { force: true }); throw e; }
}

/** atomicWrite, synchronously (the command-line tool's model and prediction files). */
export function atomicWriteSync(path: string, data: Uint8Array | string): void {
  let names: string[] = [];
  try { names = readdirSync(dirname(path)); } catch { /* the write below reports an unusable folder */ }
  for (const name of staleTemps(path, names)) { try { rmSync(join(dirname(path), name), { force: true }); } catch { /* best effort */ } }
  const tmp = tempName(path);
  const fd = openSync(tmp, 'w');
  try {
    writeFileSync(fd, data);
    fsyncSync(fd);
  } catch (e) {
    try { closeSync(fd); } catch { /* already failing */ }
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  try { renameSync(tmp, path); } catch (e) { rmSync(tmp, { force: true }); throw e; }
}

/**
 * Of the file names in `path`'s folder, the `.<name>.<pid>.<random>.tmp` files of this target name
 * whose pid is not a running process (`process.kill(pid, 0)` fails with ESRCH): temporary files of
 * saves that were killed. Never those of this process or of a live one, nor of other names.
 */
function staleTemps(path: string, names: string[]): string[] {
  const prefix = `.${basename(path)}.`;
  const out: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    // the random part has no dots, so "<pid>.<random>" is exactly what is left for this target name
    const m = /^(\d+)\.[0-9a-z]+$/.exec(name.slice(prefix.length, -'.tmp'.length));
    const pid = m ? Number(m[1]) : 0;
    if (!Number.isSafeInteger(pid) || pid <= 0 || pid === process.pid) continue;
    try { process.kill(pid, 0); continue; } catch (e) { if ((e as NodeJS.ErrnoException).code !== 'ESRCH') continue; }
    out.push(name);
  }
  return out;
}

// ************* model files *************

/** A path argument: a non-empty string. */
export function checkPath(path: unknown): asserts path is string {
  if (typeof path !== 'string' || path === '') throw new ArgumentTypeError(`path: expected a file path, got ${describe(path)}`);
}

/** Writes a model file atomically: `.wasmlp` as the binary format, any other name as JSON. */
export async function saveSnapshot(path: string, snap: Snapshot): Promise<void> {
  try {
    await atomicWrite(path, path.endsWith('.wasmlp') ? encodeBinary(snap) : JSON.stringify(encodeJSON(snap)));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (typeof err.code !== 'string') throw e;
    throw new FileError(`path: cannot write ${JSON.stringify(path)} (${err.code}: ${err.message})`, err.code);
  }
}

/** Reads a model file written by saveSnapshot (format chosen by content: binary magic, else JSON). */
export async function loadSnapshot(path: unknown): Promise<Snapshot> {
  checkPath(path);
  let bytes: Buffer;
  try { bytes = await readFile(path); } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new FileError(`path: cannot read ${JSON.stringify(path)} (${err.code ?? 'error'}: ${err.message})`, err.code);
  }
  if (bytes.length >= 6 && bytes.toString('latin1', 0, 6) === 'WASMLP') return decodeBinary(bytes, path);
  let json: unknown;
  try { json = JSON.parse(bytes.toString('utf8')); } catch (e) {
    throw new FormatError(`${path}: neither a .wasmlp file nor valid JSON (${(e as Error).message})`);
  }
  return decodeJSON(json);
}

/** A snapshot from toJSON() output or its JSON text. */
export function snapshotFromJSON(json: unknown): Snapshot {
  if (typeof json === 'string') {
    try { json = JSON.parse(json); } catch (e) { throw new FormatError(`model: not valid JSON (${(e as Error).message})`); }
  }
  return decodeJSON(json);
}
