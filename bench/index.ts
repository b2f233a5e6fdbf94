// Runs the benchmark families in sequence and prints one table per family under a header
// (date, Node, CPU, SIMD builds). `tsx bench/index.ts matmul` (or `peak`, `train`, `layers`, `kernels`, `brain`, `apps`, several
// names) runs only those. Reports numbers only: nothing here ever fails on a timing.
import * as apps from './apps.js';
import * as brain from './brain.js';
import * as inference from './inference.js';
import { fmt, formatTable, header, printFamily, type FamilyResult } from './common.js';
import * as kernelsApi from './kernels-api.js';
import * as layers from './layers.js';
import * as matmul from './matmul.js';
import * as peak from './peak.js';
import * as train from './train.js';

const FAMILIES = ['peak', 'matmul', 'train', 'layers', 'kernels', 'brain', 'apps', 'inference'] as const;
type Family = (typeof FAMILIES)[number];

const TARGET_GFLOPS = 45;
const TARGET_STEP_MS = 5;

const asked = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = asked.filter((a) => !(FAMILIES as readonly string[]).includes(a));
if (unknown.length) {
  console.error(`unknown benchmark family: ${unknown.join(', ')} (known: ${FAMILIES.join(', ')})`);
  process.exit(2);
}
const selected: Family[] = asked.length ? FAMILIES.filter((f) => asked.includes(f)) : [...FAMILIES];

console.log(`# wasmlp benchmarks: ${selected.join(', ')}\n`);
console.log(header());

const t0 = performance.now();
const results: Partial<Record<Family, FamilyResult>> = {};
for (const f of selected) {
  const t = performance.now();
  let r: FamilyResult;
  if (f === 'peak') r = await peak.run();
  else if (f === 'matmul') r = await matmul.run({ peak: results.peak?.values });
  else if (f === 'kernels') r = await kernelsApi.run();
  else if (f === 'brain') r = await brain.run();
  else if (f === 'apps') r = await apps.run();
  else if (f === 'inference') r = await inference.run();
  else if (f === 'layers') r = await layers.run();
  else r = await train.run();
  results[f] = r;
  printFamily(r);
  console.log(`\n(${f}: ${((performance.now() - t) / 1000).toFixed(1)} s)`);
}

// The targets, reported next to what was measured (informational only).
const summary: Record<string, string | number>[] = [];
const mm = results.matmul?.values;
const pk = results.peak?.values;
if (mm) {
  for (const s of matmul.SHAPES) {
    const small = s.n < 64; // the output-layer shape: the issue asks ≥ 50 % of peak there, ≥ 90 % elsewhere
    for (const l of ['nn', 'nt', 'tn']) {
      for (const v of ['baseline', 'relaxed']) {
        const g = mm[`${l} ${s.m}×${s.n}×${s.k} ${v}`];
        if (g === undefined) continue;
        const peakG = mm[`${l} ${s.m}×${s.n}×${s.k} ${v} peak`] ?? pk?.[v];
        if (peakG) {
          const want = small ? 50 : 90, pct = (100 * g) / peakG;
          summary.push({
            target: `matmul ${l} ${s.m}×${s.n}×${s.k} ≥ ${want}% of peak`, build: v,
            measured: `${fmt(pct, 0)}% (${fmt(g, 1)} of ${fmt(peakG, 1)} GFLOP/s)`, status: pct >= want ? 'met' : 'not met',
          });
        } else if (!small) {
          summary.push({
            target: `matmul ${l} ${s.m}×${s.n}×${s.k} ≥ ${TARGET_GFLOPS} GFLOP/s`, build: v,
            measured: `${fmt(g, 1)} GFLOP/s`, status: g >= TARGET_GFLOPS ? 'met' : 'not met',
          });
        }
      }
    }
  }
}
const tr = results.train?.values;
if (tr?.wasmMs !== undefined) {
  summary.push({
    target: `train step ${train.SIZES.join('-')} batch ${train.BATCH} ≤ ${TARGET_STEP_MS} ms`, build: 'Network default',
    measured: `${fmt(tr.wasmMs, 2)} ms`, status: tr.wasmMs <= TARGET_STEP_MS ? 'met' : 'not met',
  });
  if (tr.wasmThreadsMs !== undefined && tr.threads !== undefined && tr.threads > 1) {
    const speedup = tr.wasmMs / tr.wasmThreadsMs;
    summary.push({
      target: `train step, ${tr.threads} threads ≥ 1.7× one thread`, build: 'Network default',
      measured: `${fmt(speedup, 2)}×`, status: speedup >= 1.7 ? 'met' : 'not met',
    });
  }
}
const ly = results.layers?.values;
if (ly) {
  const ratio = ly[layers.VARIANTS[1]![0]]! / ly[layers.VARIANTS[0]![0]]!;
  summary.push({
    target: `train step ${train.SIZES.join('-')} with batchNormalization + dropout ≤ 1.3× without`, build: 'Network default',
    measured: `${fmt(ratio, 2)}×`, status: ratio <= 1.3 ? 'met' : 'not met',
  });
}
const br = results.brain?.values;
if (br) {
  for (const s of brain.SHAPES) {
    const ratio = br[`${s.name} wasmlp/brain`]! / br[`${s.name} brain.js 2.0.0-beta.24`]!;
    summary.push({
      target: `per-sample training ${s.name} ≥ 10× brain.js 2.0.0-beta.24`, build: 'wasmlp/brain',
      measured: `${fmt(ratio, 1)}×`, status: ratio >= 10 ? 'met' : 'not met',
    });
  }
}
if (summary.length) {
  console.log('\n## issue targets (this run; informational)\n');
  console.log(formatTable(summary));
}
console.log(`\ntotal: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
