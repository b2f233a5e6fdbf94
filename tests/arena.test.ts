// The Arena: 16-byte alignment, reuse of freed blocks, merging, growth, and the 4 GiB limit.
import { describe, expect, it } from 'vitest';
import { OutOfMemoryError } from '../src/index.js';
import { createBackend } from '../src/internal.js';

describe('Arena', () => {
  it('hands out 16-byte-aligned, zeroed, non-overlapping blocks padded to 16 bytes', () => {
    const { arena } = createBackend('baseline');
    const a = arena.alloc(1), b = arena.alloc(5), c = arena.alloc(4);
    for (const p of [a, b, c]) expect(p % 16).toBe(0);
    expect(b - a).toBe(16); // 1 float padded to 16 bytes
    expect(c - b).toBe(32); // 5 floats → 20 bytes → 32
    arena.view(b, 5).fill(7);
    arena.free(b);
    const d = arena.alloc(3); // fits in b's hole and comes back zeroed
    expect(d).toBe(b);
    expect(Array.from(arena.view(d, 3))).toEqual([0, 0, 0]);
    expect(arena.liveBlocks).toBe(3);
  });

  it('merges neighbouring free blocks so a larger request reuses them', () => {
    const { arena } = createBackend('baseline');
    const a = arena.alloc(4), b = arena.alloc(4), c = arena.alloc(4), guard = arena.alloc(4);
    arena.free(a); arena.free(c); arena.free(b); // a|b|c now one 48-byte hole
    expect(arena.alloc(12)).toBe(a);
    expect(arena.free(guard)).toBe(true);
    expect(arena.free(guard)).toBe(false); // unknown address: no-op
  });

  it('grows memory on demand, rebuilding its views, and shrinks its top when the last block is freed', () => {
    const { arena } = createBackend('baseline');
    const before = arena.memoryBytes;
    const oldView = arena.f32;
    const p = arena.alloc(4 * 1024 * 1024); // 16 MiB
    expect(arena.memoryBytes).toBeGreaterThan(before);
    // shared memory is never detached: the old view keeps the old length, the arena's new one covers all
    expect(oldView.length * 4).toBe(before);
    expect(arena.f32 === oldView).toBe(false);
    expect(arena.f32.length * 4).toBe(arena.memoryBytes);
    arena.view(p, 4 * 1024 * 1024).fill(1);
    arena.free(p);
    expect(arena.alloc(4 * 1024 * 1024)).toBe(p); // the same space again, no further growth
    expect(arena.liveBlocks).toBe(1);
  });

  it('refuses more than wasm32 can address with OutOfMemoryError, allocating nothing', () => {
    const { arena } = createBackend('baseline');
    const bytes = arena.memoryBytes;
    expect(() => arena.alloc(2 ** 30)).toThrow(OutOfMemoryError); // 4 GiB of floats
    expect(() => arena.alloc(2 ** 30)).toThrow(/exceed wasm32's 4 GiB/);
    expect(() => arena.alloc(Infinity)).toThrow(OutOfMemoryError);
    expect(arena.memoryBytes).toBe(bytes);
    expect(arena.liveBlocks).toBe(0);
  });
});
