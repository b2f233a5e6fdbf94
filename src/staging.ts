// A network's batch staging: the input, target, row-weight and input-gradient buffers in wasm memory, sized
// for `capacity` rows and planned together with the layers' batch buffers, and the copies of
// validated batches into them. A training step only copies; a larger batch re-plans once.
import {
  checkSampleWeight, checkTargets, nonFinite, targetRowsError, toBatch, toTargets, writeRowWeights, writeRows,
  type Batch, type BatchInput, type RowWeights, type TargetInput, type WeightOptions,
} from './data.js';
import { OutOfMemoryError } from './errors.js';
import type { Layer } from './layers/layer.js';
import type { Loss } from './losses.js';
import type { Backend } from './wasm/kernels.js';
import { MAX_BYTES } from './wasm/memory.js';

export class Staging {
  /** [capacity, inputs]: the rows of x being run. */
  x = 0;
  /** [capacity, outputs]: their targets. */
  t = 0;
  /** [capacity, inputs]: dE/dx. */
  dx = 0;
  /** [capacity]: the staged rows' loss weights (sample × class weight), written only for a weighted call. */
  w = 0;
  /** Rows the buffers (and the layers' batch buffers) hold. */
  capacity = 0;
  private blocks: number[] = [];

  constructor(private readonly be: Backend, private readonly layers: readonly Layer[], private readonly inSize: number, private readonly outSize: number) {}

  /** Makes the buffers hold at least `rows` rows; on failure no batch buffer is left (weights are untouched). */
  reserve(rows: number): void {
    if (rows <= this.capacity) return;
    const arena = this.be.arena;
    const floats = rows * (2 * this.inSize + this.outSize + 1 + this.layers.reduce((s, l) => s + l.batchFloatsPerRow(), 0));
    if (floats * 4 > MAX_BYTES - arena.bytesInUse) {
      throw new OutOfMemoryError(`x: a batch of ${rows} rows needs ${floats * 4} bytes of buffers, more than wasm32's 4 GiB allows next to the ${arena.bytesInUse} bytes in use`);
    }
    const old: number[] = [...this.blocks];
    try {
      for (const l of this.layers) old.push(...l.plan(rows));
      const x = arena.alloc(rows * this.inSize);
      this.blocks = [x];
      const t = arena.alloc(rows * this.outSize);
      this.blocks.push(t);
      const dx = arena.alloc(rows * this.inSize);
      this.blocks.push(dx);
      const w = arena.alloc(rows);
      this.blocks.push(w);
      this.x = x; this.t = t; this.dx = dx; this.w = w;
      this.capacity = rows;
    } catch (e) {
      for (const l of this.layers) for (const p of l.plan(0)) arena.free(p);
      for (const p of this.blocks) if (!old.includes(p)) arena.free(p);
      this.clear();
      for (const p of old) arena.free(p);
      throw e;
    }
    for (const p of old) arena.free(p);
  }

  /** Copies rows [start, start+count) of a batch to `ptr`; checks finiteness in wasm when it was deferred. */
  put(b: Batch, ptr: number, start: number, count: number): void {
    writeRows(b, this.be.arena.f32, ptr >>> 2, start, count);
    if (b.unchecked) {
      const i = this.be.kernels.nonfinite_index_f32(ptr, count * b.cols);
      if (i >= 0) throw nonFinite(b.name, b.source as Float32Array, start * b.cols + i, b.cols);
    }
  }

  /**
   * Validates x, y (shapes, finiteness, the loss's target domain) and the weights, and copies them
   * in (with `weights`, each row's weight into w); returns the row count.
   */
  stage(x: BatchInput, y: TargetInput, loss: Loss, weights: WeightOptions | null = null): number {
    const xb = toBatch(x, this.inSize, 'x', true);
    const yb = toTargets(y, this.outSize, loss, 'y', true);
    if (xb.rows !== yb.rows) throw targetRowsError(yb, xb.rows);
    const sample = weights?.sampleWeight === undefined ? null : checkSampleWeight(weights.sampleWeight, xb.rows, `${weights.where}.sampleWeight`);
    this.reserve(xb.rows);
    this.put(yb, this.t, 0, yb.rows);
    checkTargets(this.be.arena.f32, this.t >>> 2, yb.rows, this.outSize, loss, 'y');
    this.put(xb, this.x, 0, xb.rows);
    if (weights) this.putWeights({ sample, classes: weights.classes }, null, 0, xb.rows);
    return xb.rows;
  }

  /** Writes the weights of the `rows` staged rows into w, from their staged targets: sample weight order[start + i] (start + i without an order) × class weight. */
  putWeights(weights: RowWeights, order: Uint32Array | null, start: number, rows: number): void {
    writeRowWeights(this.be.arena.f32, this.w >>> 2, this.t >>> 2, rows, this.outSize, weights, order, start);
  }

  /** Frees the staging buffers (the layers free their own). */
  free(): void {
    for (const p of this.blocks) this.be.arena.free(p);
    this.clear();
  }

  private clear(): void {
    this.blocks = [];
    this.capacity = 0;
    this.x = this.t = this.dx = this.w = 0;
  }
}
