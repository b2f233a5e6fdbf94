// Helpers for comparing wasmlp/brain with the real brain.js packages (devDependencies).
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** brain.js 2.0.0-beta.24's exports (CommonJS). */
export const brain2 = require('brain.js') as { NeuralNetwork: new (o?: object) => BrainJsNet };
/** brain.js 1.6.1's exports, installed under the npm alias brainjs-1. */
export const brain1 = require('brainjs-1') as { NeuralNetwork: new (o?: object) => BrainJsNet };

/** The part of brain.js's NeuralNetwork (both versions) these tests use. */
export interface BrainJsNet {
  train(data: unknown, options?: object): { error: number; iterations: number };
  run(input: unknown): any;
  test(data: unknown): any;
  toJSON(): any;
  fromJSON(json: unknown): BrainJsNet | undefined;
}

/** brain.js 2's JSON (sizes, layers of { weights, biases }) → brain.js 1.6.1's (named nodes), with numeric node names. */
export function toBrain1JSON(json2: { sizes: number[]; layers: { weights: number[][]; biases: number[] }[]; trainOpts?: { activation?: string } }): object {
  const layers: Record<string, unknown>[] = [];
  json2.sizes.forEach((size, l) => {
    const layer: Record<string, unknown> = {};
    for (let j = 0; j < size; j++) {
      if (l === 0) { layer[j] = {}; continue; }
      const weights: Record<string, number> = {};
      json2.layers[l]!.weights[j]!.forEach((w, k) => { weights[k] = w; });
      layer[j] = { bias: json2.layers[l]!.biases[j], weights };
    }
    layers.push(layer);
  });
  return { sizes: [...json2.sizes], layers, outputLookup: false, inputLookup: false, activation: json2.trainOpts?.activation ?? 'sigmoid', trainOpts: {} };
}

/** A brain.js 1.6.1 network loaded from brain.js 2 JSON. */
export function brain1From(json2: Parameters<typeof toBrain1JSON>[0]): BrainJsNet {
  const n = new brain1.NeuralNetwork();
  n.fromJSON(toBrain1JSON(json2));
  return n;
}
