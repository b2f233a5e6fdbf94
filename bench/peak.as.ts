// @ts-nocheck -- AssemblyScript, not TypeScript: compiled by bench/peak.ts with the asc API.
// Register-only SIMD throughput probe: independent f32x4 accumulators, each c = c·a + b per
// iteration (mul + add, or one relaxed_madd in the relaxed build), no memory traffic. Enough
// independent chains hide the mul→add latency, so the loop runs at the FP ports' throughput.
// FLOPs per call = accumulators · 4 lanes · 2 (mul + add) · n.

function madd(c: v128, a: v128, b: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(c, a, b);
  return f32x4.add(f32x4.mul(c, a), b);
}

// a < 1 and small b keep every lane at a finite, normal fixed point (b / (1 − a)): no denormals.
export function peak8(n: i32, av: f32, bv: f32): f32 {
  const a = f32x4.splat(av), b = f32x4.splat(bv);
  let c0 = f32x4.splat(0.0), c1 = f32x4.splat(0.1), c2 = f32x4.splat(0.2), c3 = f32x4.splat(0.3);
  let c4 = f32x4.splat(0.4), c5 = f32x4.splat(0.5), c6 = f32x4.splat(0.6), c7 = f32x4.splat(0.7);
  for (let i = 0; i < n; i++) {
    c0 = madd(c0, a, b); c1 = madd(c1, a, b); c2 = madd(c2, a, b); c3 = madd(c3, a, b);
    c4 = madd(c4, a, b); c5 = madd(c5, a, b); c6 = madd(c6, a, b); c7 = madd(c7, a, b);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)), f32x4.add(f32x4.add(c4, c5), f32x4.add(c6, c7)));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
}

export function peak12(n: i32, av: f32, bv: f32): f32 {
  const a = f32x4.splat(av), b = f32x4.splat(bv);
  let c0 = f32x4.splat(0.0), c1 = f32x4.splat(0.1), c2 = f32x4.splat(0.2), c3 = f32x4.splat(0.3);
  let c4 = f32x4.splat(0.4), c5 = f32x4.splat(0.5), c6 = f32x4.splat(0.6), c7 = f32x4.splat(0.7);
  let c8 = f32x4.splat(0.8), c9 = f32x4.splat(0.9), c10 = f32x4.splat(1.0), c11 = f32x4.splat(1.1);
  for (let i = 0; i < n; i++) {
    c0 = madd(c0, a, b); c1 = madd(c1, a, b); c2 = madd(c2, a, b); c3 = madd(c3, a, b);
    c4 = madd(c4, a, b); c5 = madd(c5, a, b); c6 = madd(c6, a, b); c7 = madd(c7, a, b);
    c8 = madd(c8, a, b); c9 = madd(c9, a, b); c10 = madd(c10, a, b); c11 = madd(c11, a, b);
  }
  const s = f32x4.add(
    f32x4.add(f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)), f32x4.add(f32x4.add(c4, c5), f32x4.add(c6, c7))),
    f32x4.add(f32x4.add(c8, c9), f32x4.add(c10, c11)));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
}

// Cross-check without the mul→add dependency: 6 chains c = c·a and 6 chains d = d + b, all
// independent (latency 3 each). FLOPs per call = 12 · 4 lanes · n (one per lane per op).
export function split12(n: i32, av: f32, bv: f32): f32 {
  const a = f32x4.splat(av), b = f32x4.splat(bv);
  let c0 = f32x4.splat(0.5), c1 = f32x4.splat(0.6), c2 = f32x4.splat(0.7), c3 = f32x4.splat(0.8);
  let c4 = f32x4.splat(0.9), c5 = f32x4.splat(1.0), d0 = f32x4.splat(0.0), d1 = f32x4.splat(0.1);
  let d2 = f32x4.splat(0.2), d3 = f32x4.splat(0.3), d4 = f32x4.splat(0.4), d5 = f32x4.splat(0.5);
  for (let i = 0; i < n; i++) {
    c0 = f32x4.mul(c0, a); d0 = f32x4.add(d0, b); c1 = f32x4.mul(c1, a); d1 = f32x4.add(d1, b);
    c2 = f32x4.mul(c2, a); d2 = f32x4.add(d2, b); c3 = f32x4.mul(c3, a); d3 = f32x4.add(d3, b);
    c4 = f32x4.mul(c4, a); d4 = f32x4.add(d4, b); c5 = f32x4.mul(c5, a); d5 = f32x4.add(d5, b);
  }
  const s = f32x4.add(
    f32x4.add(f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)), f32x4.add(c4, c5)),
    f32x4.add(f32x4.add(f32x4.add(d0, d1), f32x4.add(d2, d3)), f32x4.add(d4, d5)));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
}
