// BigInt reference for assembly/dropout.ts's generator, written from the formula in its header.

const U64 = (1n << 64n) - 1n;
const GOLDEN = 0x9e3779b97f4a7c15n;

/** splitmix64's output for the state s + G: z = s + G, then its finalizer (s = 0 gives 0xE220A8397B1DCDAF). */
export function splitmix64Ref(s: bigint): bigint {
  let z = (s + GOLDEN) & U64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & U64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & U64;
  return z ^ (z >> 31n);
}

/** The 24-bit draws k_i = splitmix64(key + (step·2^32 + i)·G) >> 40 for i < count (u_i = k_i·2^−24). */
export function dropoutBitsRef(count: number, keyLo: number, keyHi: number, step: number): Uint32Array {
  const key = (BigInt(keyHi >>> 0) << 32n) | BigInt(keyLo >>> 0);
  const hi = BigInt(step >>> 0) << 32n;
  const k = new Uint32Array(count);
  for (let i = 0; i < count; i++) k[i] = Number(splitmix64Ref((key + (hi | BigInt(i)) * GOLDEN) & U64) >> 40n);
  return k;
}

/** mask_i = u_i ≥ rate ? fround(1/(1 − rate)) : 0 from the draws of dropoutBitsRef. */
export function dropoutMaskRef(bits: Uint32Array, rate: number): Float32Array {
  const keep = Math.fround(1 / (1 - rate));
  return Float32Array.from(bits, (k) => (k * 2 ** -24 >= rate ? keep : 0));
}
