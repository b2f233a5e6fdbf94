/**
 * Packaging test: wasmlp works as a library import from its packed tarball.
 *
 * 1. `npm pack` the repo (with --ignore-scripts: dist/ and build/ already exist, or are built here)
 *    and check what the tarball ships and what it must not ship.
 * 2. Install the tarball into an empty ESM project, fully offline (`--offline`): the runtime
 *    dependency @assemblyscript/loader comes from the npm cache as a consumer's install would
 *    resolve it; if the cache lacks it, the repo's node_modules copy is packed and installed
 *    alongside (still offline), so the test never touches the network.
 * 3. Run a plain-ESM consumer (`node main.mjs`) on both shipped wasm builds: the worked example's
 *    forward pass, typed errors (ShapeError instanceof WasmlpError), the exports map, one engine for
 *    the three ESM entries and a second one for require() (the documented dual-package behaviour).
 * 4. Run CommonJS consumers with require(esm) switched off where Node has it (so they prove the CJS
 *    build, not Node 20.19+'s require of ES modules): the README's `app.cjs` example as written, and
 *    `main.cjs` requiring all three entries: the worked example's forward pass, gradients and SGD step,
 *    a fit, typed errors, read-only options in sloppy mode, one engine shared by the entries.
 * 5. Type-check TypeScript consumers against the shipped .d.ts with the repo's tsc (strict, lib ES2022
 *    without DOM, skipLibCheck false): an ESM one with NodeNext (no ambient types, and @types/node),
 *    a `.cts` one with node16 and a CommonJS one with moduleResolution node (node10, which ignores
 *    `exports`), each checked to have compiled against the declarations of its own format. Deliberate
 *    `// @ts-expect-error`s prove the declarations are really used.
 */
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const TSC = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Exact float64 outputs of the worked example's forward pass for x = [1, 0]. */
const EXPECTED = [0.7199035875846265, 0.8374928869480537];
/** The worked example's loss for target [0, 1], ∇W_d (first 4), dE/dx and W_d after one SGD step (4 decimals, README). */
const WORKED = { loss: 0.2723, dW: [0.0998, 0.1133, 0.1236, -0.0152], dx: [0.0043, 0.0053], stepped: [0.2501, 0.3434, 0.4382, 0.6076] };

/** Node flags that switch require(esm) off (Node 20.19+/22.12+ have it on), so a CJS consumer cannot lean on it. */
const NO_REQUIRE_ESM = process.allowedNodeEnvironmentFlags.has('--no-experimental-require-module') ? ['--no-experimental-require-module'] : [];

/**
 * Environment for child processes: when vitest runs under `npm test`, npm exports npm_config_*,
 * npm_package_* and npm_lifecycle_* variables describing the *repo*; a child `npm install` must not
 * inherit those (they could redirect the install). Keep only where the cache and config live.
 */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const keep = new Set(['npm_config_cache', 'npm_config_userconfig', 'npm_config_globalconfig', 'npm_config_registry']);
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) && !keep.has(k.toLowerCase())) continue;
    if (k === 'NODE_OPTIONS' || k === 'WASMLP_SIMD') continue;
    env[k] = v;
  }
  return { ...env, npm_config_update_notifier: 'false', ...extra };
}

function run(cmd: string, args: string[], cwd: string, env = childEnv()): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, env, encoding: 'utf8', timeout: 90_000, shell: process.platform === 'win32' });
}

function describeRun(r: SpawnSyncReturns<string>): string {
  return `exit ${r.status}${r.error ? ` (${r.error.message})` : ''}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

/** Entry paths of a .tgz (ustar, with pax/GNU long-name headers), without the leading "package/". */
function tarEntries(tgz: string): string[] {
  const buf = gunzipSync(readFileSync(tgz));
  const cstr = (a: number, b: number) => { const s = buf.subarray(a, b); const z = s.indexOf(0); return s.subarray(0, z < 0 ? s.length : z).toString('utf8'); };
  const names: string[] = [];
  let longName: string | undefined;
  for (let off = 0; off + 512 <= buf.length;) {
    if (buf.subarray(off, off + 512).every((b) => b === 0)) break;
    const size = parseInt(cstr(off + 124, off + 136).trim() || '0', 8);
    const type = String.fromCharCode(buf[off + 156] ?? 0);
    const data = buf.subarray(off + 512, off + 512 + size);
    if (type === 'x') {
      const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString('utf8'));
      if (m) longName = m[1];
    } else if (type === 'L') {
      longName = data.toString('utf8').replace(/\0+$/, '');
    } else if (type !== 'g') {
      const prefix = cstr(off + 345, off + 500);
      const name = longName ?? (prefix ? `${prefix}/${cstr(off, off + 100)}` : cstr(off, off + 100));
      longName = undefined;
      if (type === '0' || type === '\0' || type === '5') names.push(name.replace(/^package\//, ''));
    }
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return names;
}

/** `version` satisfies a caret/tilde/exact `range` (all this package's dependencies use). */
function satisfies(version: string, range: string): boolean {
  const v = version.split('.').map(Number);
  const m = /^([\^~]?)(\d+)\.(\d+)\.(\d+)$/.exec(range.trim());
  if (!m || v.length !== 3 || v.some(Number.isNaN)) return false;
  const [, op, ...rest] = m;
  const r = rest.map(Number);
  const [vM = 0, vm = 0, vp = 0] = v;
  const [rM = 0, rm = 0, rp = 0] = r;
  const gte = vM !== rM ? vM > rM : vm !== rm ? vm > rm : vp >= rp;
  if (op === '') return vM === rM && vm === rm && vp === rp;
  if (op === '~') return gte && vM === rM && vm === rm;
  if (rM > 0) return gte && vM === rM;
  if (rm > 0) return gte && vM === 0 && vm === rm;
  return vM === 0 && vm === 0 && vp === rp;
}

/** node_modules folders of the package's runtime dependencies and of theirs, transitively. */
function runtimeClosure(): string[] {
  const seen = new Set<string>();
  const visit = (name: string): void => {
    const dir = join(REPO, 'node_modules', ...name.split('/'));
    if (seen.has(dir)) return;
    seen.add(dir);
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep);
  };
  const root = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  for (const dep of Object.keys(root.dependencies)) visit(dep);
  return [...seen];
}

/** The worked example's network (README "Using it"), as both consumer programs build it. */
const WORKED_NETWORK = `const net = new Network({
  layers: [2, 4, 3, 2], activation: 'sigmoid', outputActivation: 'sigmoid', loss: 'mse',
  bias: false, reduction: 'sum', learningRate: 0.5,
});
net.setWeights([
  { weights: [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6], [0.7, 0.8]] },
  { weights: [[0.25, 0.3, 0.35, 0.4], [0.45, 0.5, 0.55, 0.6], [0.65, 0.7, 0.75, 0.8]] },
  { weights: [[0.3, 0.4, 0.5], [0.6, 0.7, 0.8]] },
]);
`;

const MAIN_MJS = `\
import { createRequire } from 'node:module';
import { Network, ShapeError, WasmlpError } from 'wasmlp';
import { backend, relaxedSimdSupported } from 'wasmlp/internal';
import { NeuralNetwork } from 'wasmlp/brain';
import { WasmArray } from 'wasmlp/kernels';

const require = createRequire(import.meta.url);
const pkg = require('wasmlp/package.json');

${WORKED_NETWORK}const out = net.predict([1, 0]);

let error = null;
try {
  net.predict([1, 0, 0]);
} catch (e) {
  error = {
    name: e.name, message: e.message,
    isShapeError: e instanceof ShapeError, isWasmlpError: e instanceof WasmlpError, isError: e instanceof Error,
  };
}

let deepImport;
try { await import('wasmlp/dist/model.js'); deepImport = 'resolved'; } catch (e) { deepImport = e.code; }

// The three ESM entries share one engine: blocks allocated through wasmlp/kernels and wasmlp/brain
// show up in the arena of backend() (wasmlp/internal).
const arena = backend().arena;
const blocks0 = arena.liveBlocks;
const arr = WasmArray.from([1, 2, 3]);
const blocksArray = arena.liveBlocks - blocks0;
const brainNet = new NeuralNetwork({ hiddenLayers: [3], inputSize: 2, outputSize: 1 });
const blocksBrain = arena.liveBlocks - blocks0 - blocksArray;
arr.dispose(); brainNet.dispose();
const engine = { blocksArray, blocksBrain, blocksAfter: arena.liveBlocks - blocks0 };

// require() from the same process loads the CommonJS build: a second engine, other classes (README).
const cjs = require('wasmlp');
let cjsError;
try { new cjs.Network({ layers: [2, 1] }).predict([1, 2, 3]); } catch (e) { cjsError = e; }
const dual = {
  resolved: require.resolve('wasmlp'), sameNetwork: cjs.Network === Network, sameBackend: require('wasmlp/internal').backend() === backend(),
  name: cjsError.name, crossInstanceof: cjsError instanceof WasmlpError, ownInstanceof: cjsError instanceof cjs.WasmlpError,
};

console.log(JSON.stringify({
  out: Array.from(out), simd: backend().simd, relaxedSupported: relaxedSimdSupported(),
  version: pkg.version, resolved: import.meta.resolve('wasmlp'), error, deepImport, engine, dual,
}));
net.dispose();
`;

const CONSUMER_TS = `\
import {
  Network, ShapeError, WasmlpError,
  type Activation, type BatchInput, type Gradients, type LayerWeights, type NetworkOptions, type Trace,
} from 'wasmlp';
// @ts-expect-error: internal modules are not in the exports map
import type { Dense } from 'wasmlp/dist/layers/dense.js';

const hidden: Activation = 'tanh';
const options: NetworkOptions = { layers: [2, 3, 1], activation: hidden, outputActivation: 'sigmoid', loss: 'mse', learningRate: 0.1, seed: 7 };
const net: Network = new Network(options);
const x: BatchInput = [[0, 1], [1, 0]];
const y: BatchInput = [[1], [1]];
const grads: Gradients = net.gradients(x, y);
const loss: number = grads.loss;
const firstLayer = grads.layers[0];
const dW: Float32Array | undefined = firstLayer?.weights;
const db: Float32Array | null | undefined = firstLayer?.bias;
const input: Float32Array = grads.input;
const trained: number = net.trainBatch(x, y);
const weights: LayerWeights[] = net.getWeights();
const rows: number | undefined = weights[0]?.rows;
const trace: Trace = net.trace([0, 1]);
const prediction: number[] | number[][] | Float32Array = net.predict([0, 1]);
const error: WasmlpError = new ShapeError('wrong width');
const isTyped: boolean = error instanceof Error;

// @ts-expect-error: 'nope' is not an Activation (fails to compile unless the shipped .d.ts is used)
new Network({ layers: [2, 1], activation: 'nope' });
// @ts-expect-error: 'layers' is required
new Network({ activation: 'relu' });
// @ts-expect-error: predict takes numbers, not a string
net.predict('1,0');

export type Internal = Dense;
export const summary = { loss, dW, db, input, trained, rows, trace, prediction, isTyped };
`;

const MAIN_CJS = `\
const wasmlp = require('wasmlp');
const brain = require('wasmlp/brain');
const kernels = require('wasmlp/kernels');
const { Network, ShapeError, WasmlpError } = wasmlp;
const { backend } = require('wasmlp/internal');

${WORKED_NETWORK}const out = Array.from(net.predict([1, 0]));
const g = net.gradients([1, 0], [0, 1]);
const before = net.trainBatch([1, 0], [0, 1]);
const stepped = Array.from(net.getWeights()[2].weights.slice(0, 4));

// net.options is frozen: in this sloppy-mode script (no 'use strict') a write is ignored.
net.options.layers[0] = 3;
const sloppy = net.options.layers[0];

let error = null;
try { net.predict([1, 0, 0]); } catch (e) {
  error = { name: e.name, isShapeError: e instanceof ShapeError, isWasmlpError: e instanceof WasmlpError, brainSameClass: brain.WasmlpError === WasmlpError };
}

// One engine behind the three CommonJS entries.
const arena = backend().arena;
const blocks0 = arena.liveBlocks;
const arr = kernels.WasmArray.from([1, 2, 3]);
const blocksArray = arena.liveBlocks - blocks0;
const b = new brain.NeuralNetwork({ hiddenLayers: [3], inputSize: 2, outputSize: 1 });
const blocksBrain = arena.liveBlocks - blocks0 - blocksArray;
const product = Array.from(kernels.matmul(new Float32Array([1, 2, 3, 4]), arr.view.subarray(0, 2), 2, 2, 1));
arr.dispose(); b.dispose(); kernels.releaseScratch(); // matmul keeps packing scratch until released
const engine = { blocksArray, blocksBrain, blocksAfter: arena.liveBlocks - blocks0 };

// fit (async) on the swap task of the README, seeded: the loss goes down.
const swap = new Network({ layers: [2, 4, 2], activation: 'tanh', loss: 'mse', seed: 7, optimizer: { type: 'adam', learningRate: 0.05 } });
swap.fit([[1, 1], [1, 0], [0, 1], [0, 0]], [[1, 1], [0, 1], [1, 0], [0, 0]], { epochs: 200, batchSize: 4 }).then((h) => {
  swap.dispose();
  net.dispose();
  console.log(JSON.stringify({
    out, loss: g.loss, dW: Array.from(g.layers[2].weights.slice(0, 4)), dx: Array.from(g.input), before, stepped,
    sloppy, layers: net.options.layers, error, product,
    engine,
    fit: { first: h.loss[0], last: h.loss[h.loss.length - 1], stopReason: h.stopReason },
    resolved: [require.resolve('wasmlp'), require.resolve('wasmlp/brain'), require.resolve('wasmlp/kernels')],
    version: require('wasmlp/package.json').version,
  }));
});
`;

/** A .cts consumer (CommonJS TypeScript): its imports compile to require(), so they take the `require` condition. */
const CONSUMER_CTS = `\
import { Network, ShapeError, WasmlpError, type NetworkOptions, type ResolvedOptions } from 'wasmlp';
import { NeuralNetwork, type BrainOptions } from 'wasmlp/brain';
import { matmul, WasmArray } from 'wasmlp/kernels';
import wasmlp = require('wasmlp');

const options: NetworkOptions = Object.freeze({ layers: Object.freeze([2, 3, 1]), activation: 'tanh', seed: 7 });
const net: Network = new Network(options);
const resolved: ResolvedOptions = net.options;
const first: number | undefined = resolved.layers[0];
// @ts-expect-error: net.options is read-only all the way down
net.options.layers[0] = 3;
// @ts-expect-error: 'nope' is not an Activation
new Network({ layers: [2, 1], activation: 'nope' });
const error: WasmlpError = new ShapeError('wrong width');
const same: typeof Network = wasmlp.Network;

const brainOptions: BrainOptions = { hiddenLayers: [3], learningRate: 0.3 };
const b = new NeuralNetwork(brainOptions);
// @ts-expect-error: iterations is a number
b.train([{ input: [0, 1], output: [1] }], { iterations: 'many' });
const product: Float32Array = matmul(new Float32Array(4), new Float32Array(4), 2, 2, 2);
const arr: WasmArray = WasmArray.from([1, 2]);

export = { first, error, same, product, arr };
`;

/** A consumer compiled with moduleResolution node (node10): no exports map, so types/typesVersions must lead it. */
const CONSUMER_NODE10 = `\
import { Network, type NetworkOptions } from 'wasmlp';
import { NeuralNetwork } from 'wasmlp/brain';
import { matmul } from 'wasmlp/kernels';

const options: NetworkOptions = { layers: [2, 3, 1], outputActivation: 'sigmoid' };
const net = new Network(options);
const layers: readonly number[] = net.options.layers;
// @ts-expect-error: net.options is read-only all the way down
net.options.layers[0] = 3;
const b = new NeuralNetwork({ hiddenLayers: [3] });
// @ts-expect-error: run takes an input, not two numbers
b.run(1, 2);
// @ts-expect-error: matmul takes Float32Arrays or WasmArrays
matmul([1, 2], [3, 4], 1, 2, 1);

export const summary = { layers, b };
`;

describe('packed tarball as a library import', { timeout: 120_000 }, () => {
  let tmp = '';
  let tarball = '';
  let project = '';
  let entries: string[] = [];
  let installMode = '';

  beforeAll(() => {
    const built = ['dist/index.js', 'dist/index.d.ts', 'build/kernels.wasm', 'build/kernels.relaxed.wasm'];
    if (!built.every((f) => existsSync(join(REPO, f)))) {
      const b = run(NPM, ['run', 'build'], REPO);
      if (b.status !== 0) throw new Error(`npm run build failed: ${describeRun(b)}`);
    }
    tmp = realpathSync(mkdtempSync(join(tmpdir(), 'wasmlp-pack-')));

    // --ignore-scripts: skip `prepare` (a second full build); the artefacts were just checked/built.
    const pack = run(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], REPO);
    if (pack.status !== 0) throw new Error(`npm pack failed: ${describeRun(pack)}`);
    const filename = (JSON.parse(pack.stdout) as { filename: string }[])[0]?.filename;
    if (!filename) throw new Error(`npm pack printed no filename: ${describeRun(pack)}`);
    tarball = join(tmp, filename);
    entries = tarEntries(tarball);

    project = join(tmp, 'consumer');
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'wasmlp-consumer', version: '1.0.0', private: true, type: 'module' }, null, 2));
    const flags = ['--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock'];
    let install = run(NPM, ['install', tarball, ...flags], project);
    installMode = 'tarball, runtime dependencies from the npm cache (--offline)';
    if (install.status !== 0) {
      // Cache miss (ENOTCACHED): install the repo's own copies of the runtime dependencies (and
      // theirs, transitively) next to the tarball.
      const deps = runtimeClosure();
      const tgzs: string[] = [];
      for (const dir of deps) {
        const lp = run(NPM, ['pack', dir, '--ignore-scripts', '--json', '--pack-destination', tmp], REPO);
        const tgz = lp.status === 0 ? (JSON.parse(lp.stdout) as { filename: string }[])[0]?.filename : undefined;
        if (!tgz) throw new Error(`offline install failed and packing ${dir} failed:\n${describeRun(install)}\n${describeRun(lp)}`);
        tgzs.push(join(tmp, tgz));
      }
      install = run(NPM, ['install', tarball, ...tgzs, ...flags], project);
      installMode = `tarball + ${deps.length} runtime dependencies packed from the repo's node_modules (--offline, npm cache lacked them)`;
      if (install.status !== 0) throw new Error(`npm install failed: ${describeRun(install)}`);
    }
    console.info(`[package.test] ${filename}: ${entries.length} entries; install: ${installMode}`);
  }, 120_000);

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('ships dist/ and both wasm builds, and nothing from the sources', () => {
    const required = [
      'package.json', 'dist/index.js', 'dist/index.d.ts', 'build/kernels.wasm', 'build/kernels.relaxed.wasm',
      'dist/where.js', 'dist/cjs/package.json', 'dist/cjs/index.js', 'dist/cjs/index.d.ts', 'dist/cjs/where.js',
    ];
    if (existsSync(join(REPO, 'README.md'))) required.push('README.md');
    for (const f of required) expect(entries, `tarball lacks ${f}`).toContain(f);

    const forbidden = entries.filter((e) => /^(src|tests|node_modules|assembly|bench|examples|tools)\//.test(e) || /kernels\.debug\.|where\.cjs\.|^dist\/cjs\/cli/.test(e));
    expect(forbidden).toEqual([]);

    // Every module the compiled code can load, and every path package.json points at, is shipped:
    // each source module in dist/ (ESM) and dist/cjs/ (CommonJS, without the ESM-only CLI), where
    // src/where.ts is the ESM build's and src/where.cjs.ts the CommonJS build's dist/…/where.js.
    // (the working tree's modules: tracked or new, not those deleted since the last commit)
    const srcModules = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', 'src'], { cwd: REPO, encoding: 'utf8' })
      .split('\n').filter((f) => f.endsWith('.ts') && existsSync(join(REPO, f)));
    expect(srcModules.length).toBeGreaterThan(0);
    for (const f of srcModules) {
      const m = f.replace(/^src\//, '').replace(/\.ts$/, '');
      const bases = m === 'where.cjs' ? ['dist/cjs/where'] : m === 'where' ? ['dist/where'] : /^cli(\/|$)/.test(m) ? [`dist/${m}`] : [`dist/${m}`, `dist/cjs/${m}`];
      for (const base of bases) {
        expect(entries, `tarball lacks ${base}.js`).toContain(`${base}.js`);
        expect(entries, `tarball lacks ${base}.d.ts`).toContain(`${base}.d.ts`);
      }
    }
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
      main: string; types: string; exports: Record<string, unknown>; typesVersions: Record<string, Record<string, string[]>>;
    };
    const leaves = (v: unknown): string[] => (typeof v === 'string' ? [v] : Object.values(v as object).flatMap(leaves));
    const targets = [pkg.main, pkg.types, ...leaves(pkg.exports), ...leaves(pkg.typesVersions)];
    for (const t of targets) expect(entries, `package.json points at ${t}, not shipped`).toContain(t.replace(/^\.\//, ''));
    // Every entry: import, require and default, each naming its declarations first (TypeScript reads conditions in order).
    for (const [sub, conditions] of Object.entries(pkg.exports)) {
      if (sub === './package.json') continue;
      expect(Object.keys(conditions as object), sub).toEqual(['import', 'require', 'default']);
      for (const c of Object.values(conditions as Record<string, Record<string, string>>)) expect(Object.keys(c)).toEqual(['types', 'default']);
    }
  });

  it('installs offline with its runtime dependency resolved', () => {
    const installed = join(project, 'node_modules', 'wasmlp');
    const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> };
    const repoPkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(pkg.dependencies).toEqual(repoPkg.dependencies);
    expect(Object.keys(pkg.dependencies)).toContain('@assemblyscript/loader');
    for (const [name, range] of Object.entries(pkg.dependencies)) {
      const dep = join(project, 'node_modules', ...name.split('/'), 'package.json');
      expect(existsSync(dep), `${name} not installed`).toBe(true);
      const { version } = JSON.parse(readFileSync(dep, 'utf8')) as { version: string };
      expect(satisfies(version, range), `${name}@${version} does not satisfy ${range}`).toBe(true);
    }
    // A real copy, not a link back into the repo.
    expect(realpathSync(installed)).toBe(installed);
    expect(existsSync(join(installed, 'src'))).toBe(false);
  });

  it('links the wasmlp command (package.json bin) and it runs', () => {
    const bin = join(project, 'node_modules', '.bin', process.platform === 'win32' ? 'wasmlp.cmd' : 'wasmlp');
    expect(existsSync(bin), 'node_modules/.bin/wasmlp missing').toBe(true);
    const version = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
    const r = run(bin, ['--version'], project);
    expect(r.status, describeRun(r)).toBe(0);
    expect(r.stdout.trim()).toBe(version);
    const h = run(bin, ['train', '--help'], project);
    expect(h.status, describeRun(h)).toBe(0);
    expect(h.stdout).toMatch(/^usage: wasmlp train /);
  });

  it('runs the worked example from plain ESM (node main.mjs) on both wasm builds', () => {
    writeFileSync(join(project, 'main.mjs'), MAIN_MJS);
    const nodeMajor = Number(process.versions.node.split('.')[0]);
    const variants: { simd: 'baseline' | 'relaxed'; args: string[] }[] = [
      { simd: 'baseline', args: [] },
      // Node 20 validates the relaxed-SIMD build only behind this flag; Node 22+ has it on by default.
      { simd: 'relaxed', args: nodeMajor < 22 ? ['--experimental-wasm-relaxed-simd'] : [] },
    ];
    const version = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
    for (const { simd, args } of variants) {
      const r = run(process.execPath, [...args, 'main.mjs'], project, childEnv({ WASMLP_SIMD: simd }));
      expect(r.status, describeRun(r)).toBe(0);
      const lines = r.stdout.trim().split('\n');
      const res = JSON.parse(lines[lines.length - 1] ?? '') as {
        out: number[]; simd: string; relaxedSupported: boolean; version: string; resolved: string; deepImport: string;
        error: { name: string; message: string; isShapeError: boolean; isWasmlpError: boolean; isError: boolean } | null;
        engine: { blocksArray: number; blocksBrain: number; blocksAfter: number }; dual: Record<string, unknown>;
      };
      expect(res.simd).toBe(simd);
      if (simd === 'relaxed') expect(res.relaxedSupported).toBe(true);
      expect(res.out).toHaveLength(2);
      res.out.forEach((v, i) => expect(Math.abs(v - EXPECTED[i]!), `out[${i}] = ${v} (${simd})`).toBeLessThan(1e-6));
      expect(res.error).toMatchObject({ name: 'ShapeError', isShapeError: true, isWasmlpError: true, isError: true });
      expect(res.error?.message).toMatch(/expected one sample of 2 numbers/);
      expect(res.version).toBe(version);
      expect(res.resolved).toBe(pathToFileURL(join(project, 'node_modules', 'wasmlp', 'dist', 'index.js')).href);
      expect(res.deepImport).toBe('ERR_PACKAGE_PATH_NOT_EXPORTED');
      // one engine for index, brain and kernels (a WasmArray is one block; the brain network's blocks too)
      expect(res.engine.blocksArray).toBe(1);
      expect(res.engine.blocksBrain).toBeGreaterThan(0);
      expect(res.engine.blocksAfter).toBe(0);
      // require() in the same process: the CommonJS build, a second engine with its own classes
      expect(res.dual).toEqual({
        resolved: join(project, 'node_modules', 'wasmlp', 'dist', 'cjs', 'index.js'), sameNetwork: false, sameBackend: false,
        name: 'ShapeError', crossInstanceof: false, ownInstanceof: true,
      });
    }
  });

  it("runs the README's CommonJS example (app.cjs) as written, without require(esm)", () => {
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const block = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes("require('wasmlp')"));
    expect(block, "README has no ```js block with require('wasmlp')").toBeDefined();
    for (const entry of ["require('wasmlp')", "require('wasmlp/brain')", "require('wasmlp/kernels')"]) expect(block).toContain(entry);
    writeFileSync(join(project, 'app.cjs'), block!);
    const r = run(process.execPath, [...NO_REQUIRE_ESM, 'app.cjs'], project);
    expect(r.status, describeRun(r)).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines, describeRun(r)).toHaveLength(4);
    const numbers = (l: string): number[] => (l.match(/-?\d+\.\d+(e-?\d+)?/g) ?? []).map(Number);
    const out = numbers(lines[0]!);
    expect(out).toHaveLength(2);
    out.forEach((v, i) => expect(Math.abs(v - EXPECTED[i]!), `predict[${i}] = ${v}`).toBeLessThan(1e-6));
    expect(numbers(lines[1]!)[0]).toBeCloseTo(WORKED.loss, 4);
    expect(lines[2]).toBe('1');
    expect(lines[3]).toBe('Float32Array(4) [ 19, 22, 43, 50 ]');
  });

  it('requires all three entries from CommonJS (main.cjs): worked example, fit, errors, one engine', () => {
    const installed = join(project, 'node_modules', 'wasmlp');
    expect(JSON.parse(readFileSync(join(installed, 'dist', 'cjs', 'package.json'), 'utf8'))).toEqual({ type: 'commonjs' });
    writeFileSync(join(project, 'main.cjs'), MAIN_CJS);
    const r = run(process.execPath, [...NO_REQUIRE_ESM, 'main.cjs'], project);
    expect(r.status, describeRun(r)).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const res = JSON.parse(lines[lines.length - 1] ?? '') as {
      out: number[]; loss: number; dW: number[]; dx: number[]; before: number; stepped: number[]; sloppy: number; layers: number[];
      error: Record<string, unknown>; product: number[]; engine: Record<string, number>;
      fit: { first: number; last: number; stopReason: string }; resolved: string[]; version: string;
    };
    const round4 = (a: number[]): number[] => a.map((v) => +v.toFixed(4));
    res.out.forEach((v, i) => expect(Math.abs(v - EXPECTED[i]!), `out[${i}] = ${v}`).toBeLessThan(1e-6));
    expect(res.loss).toBeCloseTo(WORKED.loss, 4);
    expect(res.before).toBeCloseTo(WORKED.loss, 4);
    expect(round4(res.dW)).toEqual(WORKED.dW);
    expect(round4(res.dx)).toEqual(WORKED.dx);
    expect(round4(res.stepped)).toEqual(WORKED.stepped);
    expect(res.sloppy).toBe(2);
    expect(res.layers).toEqual([2, 4, 3, 2]);
    expect(res.error).toEqual({ name: 'ShapeError', isShapeError: true, isWasmlpError: true, brainSameClass: true });
    expect(res.product).toEqual([5, 11]); // [1 2; 3 4]·[1; 2]
    expect(res.engine).toEqual({ blocksArray: 1, blocksBrain: res.engine.blocksBrain, blocksAfter: 0 });
    expect(res.engine.blocksBrain).toBeGreaterThan(0);
    expect(res.fit.stopReason).toBe('completed');
    expect(res.fit.last).toBeLessThan(res.fit.first / 4);
    const dist = join(installed, 'dist', 'cjs');
    expect(res.resolved).toEqual([join(dist, 'index.js'), join(dist, 'brain', 'index.js'), join(dist, 'kernels-api.js')]);
    expect(res.version).toBe((JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version);
  });

  it('type-checks a TypeScript consumer against the shipped .d.ts (strict, NodeNext, no DOM)', () => {
    expect(existsSync(TSC), 'repo typescript not installed').toBe(true);
    writeFileSync(join(project, 'consumer.ts'), CONSUMER_TS);
    const base = {
      strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', lib: ['ES2022'],
      skipLibCheck: false, noEmit: true,
    };
    const configs: Record<string, object> = {
      // No ambient types at all: any global the .d.ts needs beyond ES2022 (DOM's WebAssembly.*, Node's Buffer, ...) fails here.
      'tsconfig.json': { compilerOptions: { ...base, types: [] }, files: ['consumer.ts'] },
      // A typical Node consumer: the declarations must also coexist with @types/node.
      'tsconfig.node.json': {
        compilerOptions: { ...base, types: ['node'], typeRoots: [join(REPO, 'node_modules', '@types')] },
        files: ['consumer.ts'],
      },
    };
    const listed: Record<string, string[]> = {};
    for (const [file, config] of Object.entries(configs)) {
      writeFileSync(join(project, file), JSON.stringify(config, null, 2));
      const r = run(process.execPath, [TSC, '--noEmit', '--listFiles', '-p', join(project, file)], project);
      expect(r.status, `tsc -p ${file}: ${describeRun(r)}`).toBe(0);
      listed[file] = r.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
    }
    // The consumer really compiled against the package's declarations, and no DOM lib crept in.
    const dts = join(project, 'node_modules', 'wasmlp', 'dist', 'index.d.ts').split('\\').join('/');
    for (const files of Object.values(listed)) {
      expect(files).toContain(dts);
      expect(files.filter((f) => /lib\.dom(\.[\w.]+)?\.d\.ts$/.test(f))).toEqual([]);
      expect(files.filter((f) => f.includes('/node_modules/wasmlp/dist/cjs/')), 'an ESM consumer got CommonJS declarations').toEqual([]);
    }
  });

  /** Type-checks one consumer file with the repo's tsc; returns the package declarations it compiled against. */
  function typecheck(file: string, source: string, compilerOptions: object): string[] {
    expect(existsSync(TSC), 'repo typescript not installed').toBe(true);
    writeFileSync(join(project, file), source);
    const config = `tsconfig.${file.replace(/\W/g, '-')}.json`;
    writeFileSync(join(project, config), JSON.stringify({
      compilerOptions: { strict: true, target: 'ES2022', lib: ['ES2022'], skipLibCheck: false, noEmit: true, types: [], ...compilerOptions },
      files: [file],
    }, null, 2));
    const r = run(process.execPath, [TSC, '--noEmit', '--listFiles', '-p', join(project, config)], project);
    expect(r.status, `tsc -p ${config}: ${describeRun(r)}`).toBe(0);
    const pkgDir = `${join(project, 'node_modules', 'wasmlp').split('\\').join('/')}/`;
    return r.stdout.split('\n').map((l) => l.trim().split('\\').join('/')).filter((f) => f.startsWith(pkgDir)).map((f) => f.slice(pkgDir.length));
  }

  it('type-checks a .cts consumer (module node16): the require condition gives the CommonJS declarations', () => {
    const files = typecheck('consumer.cts', CONSUMER_CTS, { module: 'Node16', moduleResolution: 'Node16' });
    for (const f of ['dist/cjs/index.d.ts', 'dist/cjs/brain/index.d.ts', 'dist/cjs/kernels-api.d.ts']) expect(files).toContain(f);
    expect(files.filter((f) => !f.startsWith('dist/cjs/'))).toEqual([]);
  });

  it('type-checks a consumer with moduleResolution node (node10, no exports map): types and typesVersions lead it', () => {
    const files = typecheck('consumer10.ts', CONSUMER_NODE10, { module: 'CommonJS', moduleResolution: 'Node10' });
    for (const f of ['dist/cjs/index.d.ts', 'dist/cjs/brain/index.d.ts', 'dist/cjs/kernels-api.d.ts']) expect(files).toContain(f);
    expect(files.filter((f) => !f.startsWith('dist/cjs/'))).toEqual([]);
  });
});
