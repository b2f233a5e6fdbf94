/**
 * The `npm start` demo (examples/start.ts) on a small subset: 1,000 digits (800 train / 200 test),
 * 2 epochs, run as a child process with stdout piped. Checks every part of its report, that the
 * accuracy is far above chance (10%), and that the printed accuracy is what the saved model gets on
 * the same seeded test split.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Network, type LayerInput } from '../src/index.js';
import { CLASSES, loadDigits, splitDigits } from '../examples/mnist.js';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const HAS_SCRIPT = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

function demo(args: string[], env: NodeJS.ProcessEnv = process.env): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'examples/start.ts', ...args], { cwd: REPO, encoding: 'utf8', env, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('npm start (MNIST demo) on 1,000 digits, 2 epochs', () => {
  let tmp = '';
  let out = '';
  let model = '';

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'wasmlp-start-'));
    model = join(tmp, 'mnist-model.json');
    const r = demo(['--digits', '1000', '--epochs', '2', '--out', model]);
    expect(r.status, r.stderr).toBe(0);
    out = r.stdout;
  }, 60_000);

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('reports data, network, one line per epoch, test accuracy far above chance, and timing', () => {
    expect(out).toContain("wasmlp demo: handwritten digits (28×28 pixels) from the npm package 'mnist'");
    expect(out).toContain('data     800 training digits + 4 copies shifted by 1 pixel (4,000 samples per epoch), 200 test digits; split with seed 42');
    expect(out).toContain('network  784-128-10 (101,770 parameters), relu + softmax, cross-entropy, Adam lr 0.001, batch 64, 2 epochs, seed 42');
    const epochs = out.split('\n').filter((l) => /^epoch \d/.test(l));
    expect(epochs).toHaveLength(2);
    epochs.forEach((l, i) => expect(l).toMatch(new RegExp(`^epoch ${i + 1}/2  loss \\d\\.\\d{4}  val accuracy \\d+\\.\\d\\d%  \\d+\\.\\d\\d s  [\\d,]+ samples/s$`)));
    const acc = /^test accuracy: (\d+\.\d\d)% \((\d+) of 200 test digits\)$/m.exec(out);
    expect(acc).not.toBeNull();
    expect(Number(acc![1])).toBeGreaterThan(75); // chance is 10%
    expect(Number(acc![2]) / 2).toBeCloseTo(Number(acc![1]), 10);
    // the last epoch's validation accuracy is the test accuracy (validation = the test digits)
    expect(epochs[1]).toContain(`val accuracy ${acc![1]}%`);
    expect(out).toMatch(/^training time: \d+\.\d\d s for 2 epochs \([\d,]+ samples\/s\); whole run \d+\.\d\d s$/m);
    expect(out).not.toContain('\x1b'); // piped: no progress bar, no colours
  });

  it('draws the loss curve and a confusion matrix that adds up', () => {
    expect(out).toContain('training loss (cross-entropy, mean of every');
    expect(out).toMatch(/┼|┤/);
    expect(out).toMatch(/^epoch {2,}.*1 +2$/m); // x axis labels
    const head = out.indexOf('confusion matrix of the 200 test digits (rows: true digit, columns: predicted)');
    expect(head).toBeGreaterThan(0);
    const rows = out.slice(head).split('\n').filter((l) => /^\d: /.test(l)).map((l) => l.slice(3).trim().split(/ +/).map(Number));
    expect(rows).toHaveLength(10);
    rows.forEach((r) => expect(r).toHaveLength(10));
    expect(rows.flat().reduce((s, v) => s + v, 0)).toBe(200);
    const correct = rows.reduce((s, r, i) => s + r[i]!, 0);
    expect(out).toContain(`(${correct} of 200 test digits)`);
  });

  it('saves the model; loaded with Network.load it gets the printed accuracy on the same seeded split', async () => {
    expect(existsSync(model)).toBe(true);
    expect(out).toContain(`model saved to ${model}`);
    const net = await Network.load(model);
    expect(net.sizes).toEqual([784, 128, 10]);
    expect(net.options.optimizer.type).toBe('adam');
    const { train, test } = splitDigits(loadDigits(), 42, 1000);
    expect(train.labels.length).toBe(800);
    expect(test.labels.length).toBe(200);
    const p = net.predict(test.x);
    net.dispose();
    let correct = 0;
    for (let r = 0; r < 200; r++) {
      let best = 0;
      for (let j = 1; j < CLASSES; j++) if (p[r * CLASSES + j]! > p[r * CLASSES + best]!) best = j;
      if (best === test.labels[r]) correct++;
    }
    expect(out).toContain(`test accuracy: ${((correct / 200) * 100).toFixed(2)}% (${correct} of 200 test digits)`);
  });

  it('a bad flag is one line on stderr and exit code 2', () => {
    const r = demo(['--digits', 'many']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe("npm start: --digits: expected an integer ≥ 1, got 'many'\n");
  });

  it.skipIf(!HAS_SCRIPT)('on a terminal: a progress bar per epoch; NO_COLOR drops the colours but keeps the bar', () => {
    const base: NodeJS.ProcessEnv = { ...process.env, TERM: 'xterm' };
    delete base.NO_COLOR;
    const cmd = `'${process.execPath}' --import tsx examples/start.ts --digits 300 --epochs 1 --out '${join(tmp, 'tty.json')}'`;
    const run = (env: NodeJS.ProcessEnv): string => {
      const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { cwd: REPO, encoding: 'utf8', env, timeout: 60_000 });
      expect(r.status, r.stdout).toBe(0);
      return r.stdout;
    };
    const colour = run(base);
    expect(colour).toMatch(/epoch 1\/1 .*[█░].*samples\/s/);
    expect(colour).toContain('\x1b[1m');
    const plain = run({ ...base, NO_COLOR: '1' });
    expect(plain).toMatch(/epoch 1\/1 .*[█░].*samples\/s/);
    expect(plain).not.toMatch(/\x1b\[(1|2|3\d|22|39)m/);
    expect(plain).toContain('test accuracy: ');
  });
});

describe('npm start --bn-dropout: the layer-list variant (batchNormalization + dropout after the hidden layer)', () => {
  it('trains, reports its network, and saves a model file whose moving statistics predict what it printed', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'wasmlp-start-bn-'));
    try {
      const model = join(tmp, 'bn.wasmlp');
      const r = demo(['--digits', '1000', '--epochs', '2', '--bn-dropout', '--out', model]);
      expect(r.status, r.stderr).toBe(0);
      // 784·128 + 128 + 4·128 (γ, β, moving mean, moving variance) + 128·10 + 10 = 102,282
      expect(r.stdout).toContain('network  784-128-10 with batchNormalization + dropout(0.2) after the hidden layer (102,282 parameters), relu + softmax');
      const acc = /^test accuracy: (\d+\.\d\d)% \((\d+) of 200 test digits\)$/m.exec(r.stdout);
      expect(acc).not.toBeNull();
      expect(Number(acc![1])).toBeGreaterThan(75); // chance is 10%
      const net = await Network.load<LayerInput[]>(model);
      expect(net.sizes).toEqual([784, 128, 128, 128, 10]);
      const bn = net.getWeights()[1]!;
      expect(bn.type).toBe('batchNormalization');
      if (bn.type === 'batchNormalization') expect(bn.movingVariance.some((v) => v !== 1)).toBe(true); // trained: not the initial ones
      const { test } = splitDigits(loadDigits(), 42, 1000);
      const p = net.predict(test.x); // inference: moving statistics, no dropout
      net.dispose();
      let correct = 0;
      for (let i = 0; i < 200; i++) {
        let best = 0;
        for (let j = 1; j < CLASSES; j++) if (p[i * CLASSES + j]! > p[i * CLASSES + best]!) best = j;
        if (best === test.labels[i]) correct++;
      }
      expect(Number(acc![2])).toBe(correct);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 60_000);
});
