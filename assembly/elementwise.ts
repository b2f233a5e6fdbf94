// ************* elementwise: contiguous f32 vectors of length n (outputs may alias inputs) *************

// c = a ⊙ b (Hadamard product).
export function hadamard_f32(c: usize, a: usize, b: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(c + o, f32x4.mul(v128.load(a + o), v128.load(b + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(c + o, load<f32>(a + o) * load<f32>(b + o));
  }
}

// c = a + b.
export function add_f32(c: usize, a: usize, b: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(c + o, f32x4.add(v128.load(a + o), v128.load(b + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(c + o, load<f32>(a + o) + load<f32>(b + o));
  }
}

// y += alpha·x.
export function axpy_f32(y: usize, x: usize, alpha: f32, n: i32): void {
  const va = f32x4.splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.add(v128.load(y + o), f32x4.mul(va, v128.load(x + o))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(y + o) + alpha * load<f32>(x + o));
  }
}

// y = alpha·x.
export function scale_f32(y: usize, x: usize, alpha: f32, n: i32): void {
  const va = f32x4.splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.mul(va, v128.load(x + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, alpha * load<f32>(x + o));
  }
}

// w −= lr·g (plain SGD step).
export function sgd_f32(w: usize, g: usize, lr: f32, n: i32): void {
  axpy_f32(w, g, -lr, n);
}

// C[i,:] += bias for each of the m rows of C[m,n] (row stride sc bytes).
export function bias_add_f32(c: usize, bias: usize, m: i32, n: i32, sc: usize): void {
  for (let r = 0; r < m; r++) {
    const row = c + <usize>r * sc;
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(row + o, f32x4.add(v128.load(row + o), v128.load(bias + o)));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(row + o, load<f32>(row + o) + load<f32>(bias + o));
    }
  }
}

// out[j] (+)= Σ_i A[i,j] over the m rows of A[m,n] (row stride sa bytes); acc=1 adds into out.
// The bias gradient: the column sum of δ over the samples of a batch.
export function colsum_f32(out: usize, a: usize, m: i32, n: i32, sa: usize, acc: i32): void {
  if (acc == 0) memory.fill(out, 0, <usize>n << 2);
  for (let r = 0; r < m; r++) {
    const row = a + <usize>r * sa;
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, f32x4.add(v128.load(out + o), v128.load(row + o)));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(out + o, load<f32>(out + o) + load<f32>(row + o));
    }
  }
}

// c[i] = value.
export function fill_f32(c: usize, value: f32, n: i32): void {
  const v = f32x4.splat(value);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(c + (<usize>i << 2), v);
  for (; i < n; i++) store<f32>(c + (<usize>i << 2), value);
}

// Index of the first NaN or ±Infinity in a[0:n], or -1 when all are finite.
export function nonfinite_index_f32(a: usize, n: i32): i32 {
  const expMask = i32x4.splat(0x7f800000);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const bits = v128.and(v128.load(a + (<usize>i << 2)), expMask);
    if (v128.any_true(i32x4.eq(bits, expMask))) break;
  }
  for (; i < n; i++) {
    if ((load<u32>(a + (<usize>i << 2)) & 0x7f800000) == 0x7f800000) return i;
  }
  return -1;
}
