/**
 * `wasmlp/kernels`: the wasm SIMD kernels as plain functions on Float32Array, for other libraries.
 *
 * Every operand is a `Float32Array` or a `WasmArray`:
 *  - Float32Array: copied into wasm memory for the call (into scratch blocks of the shared
 *    backend's Arena, grown geometrically and reused, so once they are big enough a call allocates
 *    nothing), and the result is copied back out. Cost: one copy in per input and one copy out,
 *    ~4 bytes per element each way (a memcpy), on top of the kernel.
 *  - WasmArray: an arena block that already lives in wasm memory; the kernel reads and writes it in
 *    place (zero-copy). Its `.view` is a Float32Array onto the block.
 *
 * Results go to `out` when given (a Float32Array or a WasmArray of the right length; returned), else
 * to a new Float32Array. No finiteness check is made: NaN and ±Infinity propagate as in IEEE
 * arithmetic. Bad arguments throw typed errors (ShapeError, ArgumentTypeError, OptionError,
 * DisposedError, NonFiniteError for a non-finite scalar) whose message names the function, the
 * argument, what was expected and what was given.
 */
import { ACTIVATIONS } from './activations.js';
import { NO_EPILOGUE, product } from './wasm/product.js';
import { ArgumentTypeError, DisposedError, NonFiniteError, OptionError, ShapeError, describe } from './errors.js';
import { backend, type Backend } from './wasm/kernels.js';

/** An operand: a plain Float32Array (copied in/out per call) or a WasmArray (used in place). */
export type Operand = Float32Array | WasmArray;

const registry = new FinalizationRegistry<{ be: Backend; ptr: number }>(({ be, ptr }) => { be.arena.free(ptr); });

/**
 * A Float32 array that lives in wasm memory (a block of the shared backend's Arena), so kernels
 * read and write it without copying.
 *
 * **The view rule:** `.view` is a Float32Array onto wasm memory. Any call that may allocate in the
 * arena (`WasmArray.alloc`/`from`, a kernel function growing its scratch, creating or training a
 * Network) may grow the memory, and growth replaces the buffer. Read `.view` again after such a
 * call instead of keeping an old one (re-reading is cheap: it is cached until the memory grows).
 * Keep the WasmArray itself referenced while you use a view of it.
 *
 * `dispose()` returns the block to the arena; a WasmArray that is garbage-collected undisposed is
 * freed by a FinalizationRegistry, but dispose() is prompt and deterministic.
 */
export class WasmArray {
  /** Number of floats. */
  readonly length: number;
  #ptr: number;
  readonly #be: Backend;
  #view: Float32Array | null = null;
  #viewOf: Float32Array | null = null;

  private constructor(be: Backend, length: number) {
    this.#be = be;
    this.length = length;
    this.#ptr = be.arena.alloc(length);
    registry.register(this, { be, ptr: this.#ptr }, this);
  }

  /** A zero-filled array of `length` floats in wasm memory. */
  static alloc(length: number): WasmArray {
    checkCount('WasmArray.alloc', 'length', length);
    return new WasmArray(backend(), length);
  }

  /** A WasmArray holding a copy of `values`. */
  static from(values: ArrayLike<number>): WasmArray {
    if (values === null || typeof values !== 'object' || typeof (values as { length?: unknown }).length !== 'number') {
      throw new ArgumentTypeError(`WasmArray.from: values: expected a Float32Array or an array of numbers, got ${describe(values)}`);
    }
    const a = new WasmArray(backend(), values.length);
    a.set(values);
    return a;
  }

  /** Byte address of the first float in wasm memory (16-byte aligned), for calling kernels directly. */
  get ptr(): number {
    this.live('ptr');
    return this.#ptr;
  }

  /** True after dispose(). */
  get disposed(): boolean { return this.#ptr === 0; }

  /** A Float32Array view onto the block; valid until wasm memory grows (see the view rule above). */
  get view(): Float32Array {
    this.live('view');
    const f32 = this.#be.arena.f32;
    if (this.#viewOf !== f32 || !this.#view) {
      this.#view = this.#be.arena.view(this.#ptr, this.length);
      this.#viewOf = f32;
    }
    return this.#view;
  }

  /** Copies `values` in, starting at element `offset` (default 0). Returns this. */
  set(values: ArrayLike<number>, offset = 0): this {
    this.live('set');
    if (values === null || typeof values !== 'object' || typeof (values as { length?: unknown }).length !== 'number') {
      throw new ArgumentTypeError(`WasmArray.set: values: expected a Float32Array or an array of numbers, got ${describe(values)}`);
    }
    if (typeof offset !== 'number' || !Number.isInteger(offset) || offset < 0) {
      throw new ArgumentTypeError(`WasmArray.set: offset: expected a non-negative integer, got ${describe(offset)}`);
    }
    if (offset + values.length > this.length) {
      throw new ShapeError(`WasmArray.set: values: expected at most ${this.length - offset} floats (length ${this.length} from offset ${offset}), got ${values.length}`);
    }
    this.view.set(values, offset);
    return this;
  }

  /** A copy of the contents as a plain Float32Array. */
  toFloat32Array(): Float32Array {
    return this.view.slice();
  }

  /** Returns the block to the arena. Any later use throws DisposedError. Safe to call twice. */
  dispose(): void {
    if (this.#ptr === 0) return;
    registry.unregister(this);
    this.#be.arena.free(this.#ptr);
    this.#ptr = 0;
    this.#view = this.#viewOf = null;
  }

  private live(what: string): void {
    if (this.#ptr === 0) throw new DisposedError(`WasmArray.${what}: the array was disposed`);
  }
}

// ---------------------------------------------------------------------------------------------
// Scratch: one growing arena block per operand slot, reused by every call.

const SLOTS = 4; // two inputs, one output, and matmul's bias
interface Slot { ptr: number; cap: number }
let scratchBe: Backend | null = null;
const slots: Slot[] = Array.from({ length: SLOTS }, () => ({ ptr: 0, cap: 0 }));

function be(): Backend {
  const b = backend();
  if (scratchBe !== b) { // first use (or a new shared backend): start with empty slots
    scratchBe = b;
    for (const s of slots) { s.ptr = 0; s.cap = 0; }
  }
  return b;
}

/** Makes slot `i` hold at least `floats` floats (frees and re-allocates only when too small). */
function reserve(b: Backend, i: number, floats: number): number {
  const s = slots[i]!;
  if (s.cap < floats) {
    const cap = Math.max(floats, Math.ceil(s.cap * 1.5), 256);
    if (s.ptr) b.arena.free(s.ptr);
    s.ptr = 0; s.cap = 0;
    s.ptr = b.arena.alloc(cap);
    s.cap = cap;
  }
  return s.ptr;
}

/** Frees the scratch blocks the copying path keeps between calls (they are re-made on demand). */
export function releaseScratch(): void {
  if (!scratchBe) return;
  for (const s of slots) { if (s.ptr) scratchBe.arena.free(s.ptr); s.ptr = 0; s.cap = 0; }
}

/** Bytes of wasm memory currently held as scratch by the copying path. */
export function scratchBytes(): number {
  return scratchBe ? slots.reduce((t, s) => t + s.cap * 4, 0) : 0;
}

// ---------------------------------------------------------------------------------------------
// Argument checks

function checkCount(fn: string, name: string, v: unknown): asserts v is number {
  if (typeof v !== 'number') throw new ArgumentTypeError(`${fn}: ${name}: expected a non-negative integer, got ${describe(v)}`);
  if (!Number.isInteger(v) || v < 0 || v > 0x3fffffff) {
    throw new ShapeError(`${fn}: ${name}: expected a non-negative integer (at most 2^30 − 1), got ${describe(v)}`);
  }
}

function checkScalar(fn: string, name: string, v: unknown): asserts v is number {
  if (typeof v !== 'number') throw new ArgumentTypeError(`${fn}: ${name}: expected a finite number, got ${describe(v)}`);
  if (!Number.isFinite(v)) throw new NonFiniteError(`${fn}: ${name}: expected a finite number, got ${describe(v)}`);
}

/** Checks an operand's type and length; `what` explains the expected length. */
function checkOperand(fn: string, name: string, v: unknown, length: number, what: string): asserts v is Operand {
  if (v instanceof WasmArray) {
    if (v.disposed) throw new DisposedError(`${fn}: ${name}: the WasmArray was disposed`);
    if (v.length !== length) throw new ShapeError(`${fn}: ${name}: expected ${length} floats (${what}), got a WasmArray of length ${v.length}`);
    return;
  }
  if (!(v instanceof Float32Array)) {
    throw new ArgumentTypeError(`${fn}: ${name}: expected a Float32Array or a WasmArray, got ${describe(v)}`);
  }
  if (v.length !== length) throw new ShapeError(`${fn}: ${name}: expected ${length} floats (${what}), got a Float32Array of length ${v.length}`);
}

function checkOptions(fn: string, o: unknown, known: readonly string[]): Record<string, unknown> {
  if (o === undefined) return {};
  if (o === null || typeof o !== 'object' || Array.isArray(o)) throw new ArgumentTypeError(`${fn}: options: expected an object, got ${describe(o)}`);
  for (const key of Object.keys(o)) {
    if (!known.includes(key)) throw new OptionError(`${fn}: options.${key}: unknown option (known: ${known.join(', ')})`);
  }
  return o as Record<string, unknown>;
}

function checkBool(fn: string, name: string, v: unknown): boolean {
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw new OptionError(`${fn}: options.${name}: expected true or false, got ${describe(v)}`);
  return v;
}

// ---------------------------------------------------------------------------------------------
// Staging: every Float32Array operand goes to its slot; WasmArrays are used where they are.

/** Two operands overlap in wasm memory (only WasmArrays can). */
function overlaps(x: Operand, y: Operand): boolean {
  if (!(x instanceof WasmArray) || !(y instanceof WasmArray)) return false;
  const xa = x.ptr, ya = y.ptr;
  return xa < ya + Math.max(1, y.length) * 4 && ya < xa + Math.max(1, x.length) * 4;
}

interface Plan { ins: number[]; out: number; copyOut: boolean }

/**
 * Reserves scratch for each Float32Array input (slots 0, 1) and for the output when it is not a
 * WasmArray usable in place (slot 2), then copies the inputs in. All allocation happens before any
 * view is taken, so growth cannot invalidate a view in use. `inPlaceOut` false forces the output
 * through scratch (when it overlaps an input of a kernel that cannot alias).
 */
function stage(b: Backend, inputs: Operand[], out: Operand | undefined, n: number, inPlaceOut: boolean, seedOut: boolean): Plan {
  const ins: number[] = [];
  inputs.forEach((x, i) => { ins.push(x instanceof WasmArray ? -1 : reserve(b, i, x.length)); });
  const direct = out instanceof WasmArray && inPlaceOut;
  const outPtr = direct ? (out as WasmArray).ptr : reserve(b, 2, n);
  const f32 = b.arena.f32;
  inputs.forEach((x, i) => {
    if (x instanceof WasmArray) ins[i] = x.ptr;
    else f32.set(x, ins[i]! >>> 2);
  });
  // accumulate into a staged output: its current contents go in first
  if (!direct && seedOut && out) f32.set(out instanceof WasmArray ? out.view : out, outPtr >>> 2);
  return { ins, out: outPtr, copyOut: !direct };
}

/** Copies a staged result to `out` (or a new Float32Array) and returns what the caller gets. */
function finish<O extends Operand>(b: Backend, plan: Plan, out: O | undefined, n: number): O | Float32Array {
  if (!plan.copyOut) return out!;
  const src = b.arena.f32.subarray(plan.out >>> 2, (plan.out >>> 2) + n);
  if (out === undefined) return src.slice();
  if (out instanceof WasmArray) out.view.set(src);
  else out.set(src);
  return out;
}

// ---------------------------------------------------------------------------------------------
// matmul

export interface MatmulOptions<O extends Operand = Operand> {
  /** A is stored k×m (row-major) and used transposed. Default false. */
  transposeA?: boolean;
  /** B is stored n×k (row-major) and used transposed. Default false. */
  transposeB?: boolean;
  /** Where C (m×n, row-major) goes; returned. Default: a new Float32Array. */
  out?: O;
  /** C += op(A)·op(B) instead of C = op(A)·op(B) (needs `out`). Default false. */
  accumulate?: boolean;
  /** n values added to every row of C (a dense layer's bias), after the product (and accumulation). */
  bias?: Operand;
  /**
   * Applied to every element of C last: C = f(op(A)·op(B) (+ C) (+ bias)), in the product's store
   * (no second pass over C). Default: none.
   */
  activation?: MatmulActivation;
  /** The slope of 'leakyRelu' for x ≤ 0. Default 0.01. */
  alpha?: number;
}

/** Activations matmul can apply in its store: every hidden activation of the table but linear (formulas: README, "Activations"). */
export type MatmulActivation = 'sigmoid' | 'tanh' | 'relu' | 'leakyRelu' | 'elu' | 'selu' | 'gelu' | 'softplus' | 'swish' | 'softsign';
/** Codes of the activations a product can apply in its store: every element-wise one of the table but linear. */
const MATMUL_ACTIVATIONS = Object.fromEntries(
  Object.entries(ACTIVATIONS).filter(([, a]) => a.code !== 0 && !a.rowwise).map(([name, a]) => [name, a.code]),
) as Record<MatmulActivation, number>;

const MATMUL_OPTIONS = ['transposeA', 'transposeB', 'out', 'accumulate', 'bias', 'activation', 'alpha'] as const;

/**
 * C[m×n] = op(A)·op(B), row-major. A is m×k (k×m with transposeA), B is k×n (n×k with
 * transposeB). Runs one packed SIMD kernel (nn, nt or tn). With both transposes there is no
 * single kernel: the smaller of A and B is transposed into scratch (a JS loop, k·min(m, n) moves;
 * for a Float32Array operand this replaces its copy-in) and the nt or tn kernel runs on it.
 * With `bias` and/or `activation`, C = f(op(A)·op(B) + bias) — a dense layer's forward pass — in
 * the same call: both are applied to each element of C as the kernel stores it.
 */
export function matmul(a: Operand, b: Operand, m: number, k: number, n: number, options?: MatmulOptions<never>): Float32Array;
export function matmul<O extends Operand>(a: Operand, b: Operand, m: number, k: number, n: number, options: MatmulOptions<O> & { out: O }): O;
export function matmul(a: Operand, b: Operand, m: number, k: number, n: number, options?: MatmulOptions): Operand;
export function matmul(a: Operand, b: Operand, m: number, k: number, n: number, options?: MatmulOptions): Operand {
  const fn = 'matmul';
  checkCount(fn, 'm', m); checkCount(fn, 'k', k); checkCount(fn, 'n', n);
  const o = checkOptions(fn, options, MATMUL_OPTIONS);
  const tA = checkBool(fn, 'transposeA', o.transposeA);
  const tB = checkBool(fn, 'transposeB', o.transposeB);
  const acc = checkBool(fn, 'accumulate', o.accumulate);
  checkOperand(fn, 'a', a, m * k, tA ? `A is k×m = ${k}×${m} (transposeA)` : `A is m×k = ${m}×${k}`);
  checkOperand(fn, 'b', b, k * n, tB ? `B is n×k = ${n}×${k} (transposeB)` : `B is k×n = ${k}×${n}`);
  const out = o.out as Operand | undefined;
  if (out !== undefined) checkOperand(fn, 'options.out', out, m * n, `C is m×n = ${m}×${n}`);
  if (acc && out === undefined) throw new OptionError(`${fn}: options.accumulate: needs options.out (the C to add to), got no out`);
  const bias = o.bias as Operand | undefined;
  if (bias !== undefined) checkOperand(fn, 'options.bias', bias, n, `one per column of C, n = ${n}`);
  let act = 0;
  if (o.activation !== undefined) {
    const name = o.activation;
    if (typeof name !== 'string' || !Object.hasOwn(MATMUL_ACTIVATIONS, name)) {
      throw new OptionError(`${fn}: options.activation: expected one of ${Object.keys(MATMUL_ACTIVATIONS).map((x) => `'${x}'`).join(', ')}, got ${describe(name)}`);
    }
    act = MATMUL_ACTIVATIONS[name as MatmulActivation];
  }
  let alpha = 0.01;
  if (o.alpha !== undefined) {
    checkScalar(fn, 'options.alpha', o.alpha);
    if (act !== MATMUL_ACTIVATIONS.leakyRelu) throw new OptionError(`${fn}: options.alpha: only used with activation 'leakyRelu', got activation ${describe(o.activation)}`);
    alpha = o.alpha;
  }

  const bk = be();
  const kern = bk.kernels;
  // The kernels read A and B (and the bias) while writing C, so an output overlapping an input goes through scratch.
  const inPlace = !(out !== undefined && (overlaps(out, a) || overlaps(out, b) || (bias !== undefined && overlaps(out, bias))));
  // bias: in place when it is a WasmArray, else in its own slot (reserved before any view is taken)
  const biasSlot = bias instanceof Float32Array ? reserve(bk, 3, n) : 0;
  const biasPtr = (): number => {
    if (bias === undefined) return 0;
    if (bias instanceof WasmArray) return bias.ptr;
    bk.arena.f32.set(bias, biasSlot >>> 2);
    return biasSlot;
  };

  if (tA && tB) {
    // C = Aᵀ·Bᵀ. Transpose the smaller operand into its slot: Aᵀ (m×k) then nt, or Bᵀ (k×n) then tn.
    const transA = m * k <= k * n;
    const pa = a instanceof WasmArray && !transA ? -1 : reserve(bk, 0, m * k);
    const pb = b instanceof WasmArray && transA ? -1 : reserve(bk, 1, k * n);
    const direct = out instanceof WasmArray && inPlace;
    const pc = direct ? (out as WasmArray).ptr : reserve(bk, 2, m * n);
    const f32 = bk.arena.f32;
    const aSrc = a instanceof WasmArray ? a.view : a;
    const bSrc = b instanceof WasmArray ? b.view : b;
    let ap: number, bp: number;
    if (transA) {
      transpose(aSrc, f32, pa >>> 2, k, m); // A[k×m] → Aᵀ[m×k]
      ap = pa;
      if (b instanceof WasmArray) bp = b.ptr; else { f32.set(b, pb >>> 2); bp = pb; }
    } else {
      transpose(bSrc, f32, pb >>> 2, n, k); // B[n×k] → Bᵀ[k×n]
      bp = pb;
      if (a instanceof WasmArray) ap = a.ptr; else { f32.set(a, pa >>> 2); ap = pa; }
    }
    if (!direct && acc) f32.set(out instanceof WasmArray ? out.view : out!, pc >>> 2);
    // C = f(v + bias): the fused store writes v + bias to C, then f of it over C again (out2 = C)
    const e = { ...NO_EPILOGUE, bias: biasPtr(), ep: act, out2: act ? pc : 0, alpha }, accFlag = acc ? 1 : 0;
    if (transA) product(kern, 'nt', pc, ap, bp, m, n, k, k * 4, k * 4, n * 4, accFlag, e);
    else product(kern, 'tn', pc, ap, bp, m, n, k, m * 4, n * 4, n * 4, accFlag, e);
    return finish(bk, { ins: [], out: pc, copyOut: !direct }, out, m * n);
  }

  const plan = stage(bk, [a, b], out, m * n, inPlace, acc);
  const [ap, bp] = plan.ins as [number, number];
  const accFlag = acc ? 1 : 0;
  const c = plan.out, e = { ...NO_EPILOGUE, bias: biasPtr(), ep: act, out2: act ? c : 0, alpha };
  if (!tA && !tB) product(kern, 'nn', c, ap, bp, m, n, k, k * 4, n * 4, n * 4, accFlag, e);
  else if (!tA) product(kern, 'nt', c, ap, bp, m, n, k, k * 4, k * 4, n * 4, accFlag, e);
  else product(kern, 'tn', c, ap, bp, m, n, k, m * 4, n * 4, n * 4, accFlag, e);
  return finish(bk, plan, out, m * n);
}

/** dst[off + c·rows + r] = src[r·cols + c]: src is rows×cols, dst gets cols×rows. Blocked for cache. */
function transpose(src: Float32Array, dst: Float32Array, off: number, rows: number, cols: number): void {
  const B = 32;
  for (let r0 = 0; r0 < rows; r0 += B) {
    const r1 = Math.min(rows, r0 + B);
    for (let c0 = 0; c0 < cols; c0 += B) {
      const c1 = Math.min(cols, c0 + B);
      for (let r = r0; r < r1; r++) {
        const s = r * cols;
        for (let c = c0; c < c1; c++) dst[off + c * rows + r] = src[s + c]!;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------
// elementwise (outputs may alias inputs: these kernels read each element before writing it)

function lengthOf(fn: string, name: string, x: unknown): number {
  if (x instanceof WasmArray) {
    if (x.disposed) throw new DisposedError(`${fn}: ${name}: the WasmArray was disposed`);
    return x.length;
  }
  if (x instanceof Float32Array) return x.length;
  throw new ArgumentTypeError(`${fn}: ${name}: expected a Float32Array or a WasmArray, got ${describe(x)}`);
}

/** Runs a one-pass elementwise kernel: checks, stages, calls `run(out, ...inputs)`, copies back. */
function elementwise<O extends Operand>(fn: string, names: string[], inputs: Operand[], out: O | undefined,
                                        run: (c: number, ins: number[], n: number) => void): O | Float32Array {
  const n = lengthOf(fn, names[0]!, inputs[0]);
  for (let i = 0; i < inputs.length; i++) checkOperand(fn, names[i]!, inputs[i], n, `the length of ${names[0]}`);
  if (out !== undefined) checkOperand(fn, 'out', out, n, `the length of ${names[0]}`);
  const bk = be();
  // Exact aliasing (out is an input) is fine for these kernels; a partial overlap is not.
  const inPlace = !(out !== undefined && inputs.some((x) => x !== out && overlaps(out, x)));
  const plan = stage(bk, inputs, out, n, inPlace, false);
  run(plan.out, plan.ins, n);
  return finish(bk, plan, out, n);
}

/** c = a ⊙ b (elementwise product). */
export function hadamard(a: Operand, b: Operand): Float32Array;
export function hadamard<O extends Operand>(a: Operand, b: Operand, out: O): O;
export function hadamard(a: Operand, b: Operand, out?: Operand): Operand {
  return elementwise('hadamard', ['a', 'b'], [a, b], out, (c, [x, y], n) => be().kernels.hadamard_f32(c, x!, y!, n));
}

/** c = a + b. */
export function add(a: Operand, b: Operand): Float32Array;
export function add<O extends Operand>(a: Operand, b: Operand, out: O): O;
export function add(a: Operand, b: Operand, out?: Operand): Operand {
  return elementwise('add', ['a', 'b'], [a, b], out, (c, [x, y], n) => be().kernels.add_f32(c, x!, y!, n));
}

/** y = alpha·x (into `out`, or a new Float32Array). */
export function scale(x: Operand, alpha: number): Float32Array;
export function scale<O extends Operand>(x: Operand, alpha: number, out: O): O;
export function scale(x: Operand, alpha: number, out?: Operand): Operand {
  checkScalar('scale', 'alpha', alpha);
  return elementwise('scale', ['x'], [x], out, (c, [p], n) => be().kernels.scale_f32(c, p!, alpha, n));
}

/** y += alpha·x, in place (BLAS saxpy argument order); returns y. */
export function axpy<Y extends Operand>(alpha: number, x: Operand, y: Y): Y {
  checkScalar('axpy', 'alpha', alpha);
  const n = lengthOf('axpy', 'y', y);
  checkOperand('axpy', 'x', x, n, 'the length of y');
  const bk = be();
  // y is both input and output: stage it as the output, seeded with its current values.
  const plan = stage(bk, [x], y, n, !overlaps(x, y) || x === y, true);
  bk.kernels.axpy_f32(plan.out, plan.ins[0]!, alpha, n);
  return finish(bk, plan, y, n) as Y;
}

/** y = 1 / (1 + e^−x). */
export function sigmoid(x: Operand): Float32Array;
export function sigmoid<O extends Operand>(x: Operand, out: O): O;
export function sigmoid(x: Operand, out?: Operand): Operand {
  return elementwise('sigmoid', ['x'], [x], out, (c, [p], n) => be().kernels.sigmoid_f32(c, p!, n));
}

/** y = tanh(x). */
export function tanh(x: Operand): Float32Array;
export function tanh<O extends Operand>(x: Operand, out: O): O;
export function tanh(x: Operand, out?: Operand): Operand {
  return elementwise('tanh', ['x'], [x], out, (c, [p], n) => be().kernels.tanh_f32(c, p!, n));
}

/** y = max(x, 0). */
export function relu(x: Operand): Float32Array;
export function relu<O extends Operand>(x: Operand, out: O): O;
export function relu(x: Operand, out?: Operand): Operand {
  return elementwise('relu', ['x'], [x], out, (c, [p], n) => be().kernels.relu_f32(c, p!, n));
}

/** y = x for x > 0, else alpha·x (alpha default 0.01). */
export function leakyRelu(x: Operand, alpha?: number): Float32Array;
export function leakyRelu<O extends Operand>(x: Operand, alpha: number | undefined, out: O): O;
export function leakyRelu(x: Operand, alpha = 0.01, out?: Operand): Operand {
  checkScalar('leakyRelu', 'alpha', alpha);
  return elementwise('leakyRelu', ['x'], [x], out, (c, [p], n) => be().kernels.leaky_relu_f32(c, p!, alpha, n));
}

/** dx = dy · y(1 − y), from the sigmoid's output y. */
export function sigmoidGrad(dy: Operand, y: Operand): Float32Array;
export function sigmoidGrad<O extends Operand>(dy: Operand, y: Operand, out: O): O;
export function sigmoidGrad(dy: Operand, y: Operand, out?: Operand): Operand {
  return elementwise('sigmoidGrad', ['dy', 'y'], [dy, y], out, (c, [g, p], n) => be().kernels.sigmoid_grad_f32(c, g!, p!, n));
}

/** dx = dy · (1 − y²), from tanh's output y. */
export function tanhGrad(dy: Operand, y: Operand): Float32Array;
export function tanhGrad<O extends Operand>(dy: Operand, y: Operand, out: O): O;
export function tanhGrad(dy: Operand, y: Operand, out?: Operand): Operand {
  return elementwise('tanhGrad', ['dy', 'y'], [dy, y], out, (c, [g, p], n) => be().kernels.tanh_grad_f32(c, g!, p!, n));
}

/** dx = dy where y > 0, else 0, from relu's output y. */
export function reluGrad(dy: Operand, y: Operand): Float32Array;
export function reluGrad<O extends Operand>(dy: Operand, y: Operand, out: O): O;
export function reluGrad(dy: Operand, y: Operand, out?: Operand): Operand {
  return elementwise('reluGrad', ['dy', 'y'], [dy, y], out, (c, [g, p], n) => be().kernels.relu_grad_f32(c, g!, p!, n));
}

/** dx = dy where y > 0, else alpha·dy, from leakyRelu's output y (alpha default 0.01). */
export function leakyReluGrad(dy: Operand, y: Operand, alpha?: number): Float32Array;
export function leakyReluGrad<O extends Operand>(dy: Operand, y: Operand, alpha: number | undefined, out: O): O;
export function leakyReluGrad(dy: Operand, y: Operand, alpha = 0.01, out?: Operand): Operand {
  checkScalar('leakyReluGrad', 'alpha', alpha);
  return elementwise('leakyReluGrad', ['dy', 'y'], [dy, y], out, (c, [g, p], n) => be().kernels.leaky_relu_grad_f32(c, g!, p!, alpha, n));
}

// ---------------------------------------------------------------------------------------------
// row-wise

function checkRowsCols(fn: string, name: string, x: unknown, rows: number, cols: number): void {
  checkCount(fn, 'rows', rows); checkCount(fn, 'cols', cols);
  checkOperand(fn, name, x, rows * cols, `rows×cols = ${rows}×${cols}`);
}

/** Y[i,:] = softmax(X[i,:]) for each of the `rows` rows of `cols` values (max-subtracted). */
export function softmax(x: Operand, rows: number, cols: number): Float32Array;
export function softmax<O extends Operand>(x: Operand, rows: number, cols: number, out: O): O;
export function softmax(x: Operand, rows: number, cols: number, out?: Operand): Operand {
  checkRowsCols('softmax', 'x', x, rows, cols);
  return elementwise('softmax', ['x'], [x], out, (c, [p]) => be().kernels.softmax_f32_rows(c, p!, rows, cols));
}

/** DX[i,:] = Y[i,:] ⊙ (DY[i,:] − DY[i,:]·Y[i,:]): softmax's Jacobian times dy, per row, from its output y. */
export function softmaxGrad(dy: Operand, y: Operand, rows: number, cols: number): Float32Array;
export function softmaxGrad<O extends Operand>(dy: Operand, y: Operand, rows: number, cols: number, out: O): O;
export function softmaxGrad(dy: Operand, y: Operand, rows: number, cols: number, out?: Operand): Operand {
  checkRowsCols('softmaxGrad', 'dy', dy, rows, cols);
  return elementwise('softmaxGrad', ['dy', 'y'], [dy, y], out, (c, [g, p]) => be().kernels.softmax_grad_f32(c, g!, p!, rows, cols));
}

/** C[i,:] += bias for each of the `rows` rows of C (rows×cols), in place; returns c. */
export function biasAdd<C extends Operand>(c: C, bias: Operand, rows: number, cols: number): C {
  const fn = 'biasAdd';
  checkRowsCols(fn, 'c', c, rows, cols);
  checkOperand(fn, 'bias', bias, cols, 'cols');
  const bk = be();
  const plan = stage(bk, [bias], c, rows * cols, !overlaps(c, bias), true);
  bk.kernels.bias_add_f32(plan.out, plan.ins[0]!, rows, cols, cols * 4);
  return finish(bk, plan, c, rows * cols) as C;
}

/** out[j] = Σ_i A[i,j]: the column sums of A (rows×cols), e.g. a bias gradient. */
export function colSum(a: Operand, rows: number, cols: number): Float32Array;
export function colSum<O extends Operand>(a: Operand, rows: number, cols: number, out: O): O;
export function colSum(a: Operand, rows: number, cols: number, out?: Operand): Operand {
  const fn = 'colSum';
  checkRowsCols(fn, 'a', a, rows, cols);
  if (out !== undefined) checkOperand(fn, 'out', out, cols, 'cols');
  const bk = be();
  const plan = stage(bk, [a], out, cols, !(out !== undefined && overlaps(out, a)), false);
  bk.kernels.colsum_f32(plan.out, plan.ins[0]!, rows, cols, cols * 4, 0);
  return finish(bk, plan, out, cols);
}
