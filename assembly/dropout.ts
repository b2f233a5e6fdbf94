// ************* inverted dropout with a counter-based generator (no state in wasm) *************
// Element i of a call at step `step` under the 64-bit key (key_hi << 32 | key_lo) draws
//   c = step << 32 | i                                      (u64; i < 2^32)
//   z = key + c·G + G                                       (wrapping u64, G = 0x9E3779B97F4A7C15)
//   z = (z ^ (z >> 30))·0xBF58476D1CE4E5B9; z = (z ^ (z >> 27))·0x94D049BB133111EB; z ^= z >> 31
//   u = f64(z >> 40)·2^−24                                  (the top 24 bits: u in [0, 1))
// which is splitmix64's output for the state key + c·G (key 0, c = 0 gives 0xE220A8397B1DCDAF; the last
// xorshift leaves the top 24 bits as they are, so u only depends on the two multiply rounds).
// The unit is kept when u ≥ rate, with mask = f32(1/(1 − rate)) (the f64 quotient rounded once), else
// mask = 0. So a mask is a pure function of (key, step, i), and a replay needs no saved state.
import { hadamard_f32 } from './elementwise';

const GOLDEN: u64 = 0x9E3779B97F4A7C15;
const MIX1: u64 = 0xBF58476D1CE4E5B9;
const MIX2: u64 = 0x94D049BB133111EB;
const INV_2_24: f64 = 5.9604644775390625e-8; // 2^−24

// mask[i] = u_i ≥ rate ? f32(1/(1 − rate)) : 0 for i < count (u_i above), y = x ⊙ mask (y may alias x).
// The backward is hadamard_f32(dx, dy, mask, count).
export function dropout_forward_f32(y: usize, mask: usize, x: usize, count: i32, rate: f64,
                                    key_lo: u32, key_hi: u32, step: u32): void {
  const key = (<u64>key_hi << 32) | <u64>key_lo;
  const hi = <u64>step << 32;
  const keep = <f32>(1.0 / (1.0 - rate));
  // two elements per step in i64x2 lanes (the same integer operations as the scalar tail, so the same bits)
  const vkey = i64x2.splat(<i64>(key + GOLDEN));
  const vg = i64x2.splat(<i64>GOLDEN), vm1 = i64x2.splat(<i64>MIX1), vm2 = i64x2.splat(<i64>MIX2);
  const vrate = f64x2.splat(rate), vkeep = i32x4.splat(<i32>reinterpret<u32>(keep));
  let c = i64x2.add(i64x2.splat(<i64>hi), i64x2(0, 1));
  const two = i64x2.splat(2);
  let i = 0;
  for (; i + 2 <= count; i += 2) {
    let z = i64x2.add(vkey, i64x2.mul(c, vg));
    z = i64x2.mul(v128.xor(z, i64x2.shr_u(z, 30)), vm1);
    z = i64x2.mul(v128.xor(z, i64x2.shr_u(z, 27)), vm2);
    // u = f64(z >> 40)·2^−24: the top 24 bits are exact in an f64, converted through i32 lanes
    const top = i32x4.shuffle(i64x2.shr_u(z, 40), i64x2.shr_u(z, 40), 0, 2, 0, 2);
    const u = f64x2.mul(f64x2.convert_low_i32x4_u(top), f64x2.splat(INV_2_24));
    const kept = f64x2.ge(u, vrate); // all-ones lanes where kept (64 bits each)
    const m = v128.and(i32x4.shuffle(kept, kept, 0, 2, 0, 2), vkeep);
    v128.store64_lane(mask + (<usize>i << 2), m, 0);
    c = i64x2.add(c, two);
  }
  for (; i < count; i++) {
    let z = key + (hi | <u64><u32>i) * GOLDEN + GOLDEN;
    z = (z ^ (z >> 30)) * MIX1;
    z = (z ^ (z >> 27)) * MIX2;
    z ^= z >> 31;
    const u = <f64>(z >> 40) * INV_2_24;
    store<f32>(mask + (<usize>i << 2), u >= rate ? keep : 0);
  }
  hadamard_f32(y, x, mask, count);
}
