// Model files saved by an earlier release still load and behave as they did there. The files in
// tests/fixtures/models/ were written by wasmlp at commit b28b896 (tests/fixtures/models/make.ts,
// run from that commit), with the predictions and the resumed weights that version computed; the
// ff64e60-layers files (format version 2, a layer list) by commit ff64e60 (make-v2.ts).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Network, type LayerInput } from '../src/index.js';

const dir = new URL('./fixtures/models/', import.meta.url);
const expected = JSON.parse(readFileSync(new URL('b28b896-expected.json', dir), 'utf8')) as {
  probe: number[][]; predict: number[][]; x: number[][]; y: number[][]; resumed: { weights: number[]; bias: number[] }[];
};

describe.each(['b28b896-adam.wasmlp', 'b28b896-adam.json'])('%s (saved by commit b28b896)', (file) => {
  it('loads, predicts what that version predicted, and resumes training bit for bit', async () => {
    const net = await Network.load(new URL(file, dir).pathname);
    expect(net.sizes).toEqual([3, 5, 4]);
    expect(net.options.optimizer.type).toBe('adam');
    // 2 rows take the small-batch kernel, whose sums run in another order than that version's packed
    // product: equal within README's stated tolerance (1e-6 + 1e-5·|value|)
    const p = net.predict(expected.probe);
    p.forEach((row, r) => row.forEach((v, j) => expect(Math.abs(v - expected.predict[r]![j]!)).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(v))));
    // training runs the packed order it ran then: the same optimizer and shuffle state give the same bits
    await net.fit(expected.x, expected.y, { epochs: 1, batchSize: 2 });
    net.getWeights().forEach((l, i) => {
      expect(Array.from(l.weights)).toEqual(expected.resumed[i]!.weights);
      expect(Array.from(l.bias!)).toEqual(expected.resumed[i]!.bias);
    });
    net.dispose();
  });
});

// Format version 2 (layer lists), written by commit ff64e60 (tests/fixtures/models/make-v2.ts).
const expectedV2 = JSON.parse(readFileSync(new URL('ff64e60-layers-expected.json', dir), 'utf8')) as {
  probe: number[][]; predict: number[][]; x: number[][]; y: number[][]; resumed: Record<string, unknown>[];
};

describe.each(['ff64e60-layers.wasmlp', 'ff64e60-layers.json'])('%s (a layer list saved by commit ff64e60)', (file) => {
  it('loads every layer, predicts what that version predicted, and resumes training bit for bit (moving statistics and dropout masks included)', async () => {
    const net = await Network.load<LayerInput[]>(new URL(file, dir).pathname);
    expect(net.sizes).toEqual([3, 6, 6, 6, 5, 5, 4]);
    expect(net.getWeights().map((l) => l.type)).toEqual(['dense', 'batchNormalization', 'dropout', 'dense', 'layerNormalization', 'dense']);
    expect(net.options.optimizer.type).toBe('adamw');
    const p = net.predict(expectedV2.probe);
    p.forEach((row, r) => row.forEach((v, j) => expect(Math.abs(v - expectedV2.predict[r]![j]!)).toBeLessThanOrEqual(1e-6 + 1e-5 * Math.abs(v))));
    await net.fit(expectedV2.x, expectedV2.y, { epochs: 1, batchSize: 3 });
    const plain = (v: unknown): unknown => (v instanceof Float32Array ? Array.from(v) : v);
    expect(net.getWeights().map((l) => Object.fromEntries(Object.entries(l).map(([k, v]) => [k, plain(v)])))).toEqual(expectedV2.resumed);
    net.dispose();
  });
});
