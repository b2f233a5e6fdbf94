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
  for (let i = 0; i < count; i++) {
    let z = key + (hi | <u64><u32>i) * GOLDEN + GOLDEN;
    z = (z ^ (z >> 30)) * MIX1;
    z = (z ^ (z >> 27)) * MIX2;
    z ^= z >> 31;
    const u = <f64>(z >> 40) * INV_2_24;
    store<f32>(mask + (<usize>i << 2), u >= rate ? keep : 0);
  }
  hadamard_f32(y, x, mask, count);
}
