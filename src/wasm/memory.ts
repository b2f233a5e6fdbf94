import { OutOfMemoryError } from '../errors.js';

const PAGE = 65536;

/** The parts of a WebAssembly.Memory the arena uses (kept structural so the shipped types need no DOM lib). */
export interface WasmMemory {
  readonly buffer: ArrayBufferLike;
  grow(pages: number): number;
}
/** wasm32 addresses at most 65536 pages of 64 KiB. */
export const MAX_BYTES = 65536 * PAGE;

/**
 * The one owner of the WebAssembly.Memory. Hands out 16-byte-aligned blocks (sizes padded to
 * 16 bytes, so a kernel tail may read a whole v128), reuses freed blocks (first fit, adjacent
 * free blocks merge), and is the only place that grows memory and rebuilds the views.
 * Never cache `arena.f32` across a call that may allocate: growth detaches the old buffer.
 */
export class Arena {
  readonly memory: WasmMemory;
  /** Float32 view of all of memory (rebuilt on growth). */
  f32!: Float32Array;
  /** Byte view of all of memory (rebuilt on growth). */
  u8!: Uint8Array;
  private readonly base: number;
  private top: number;
  /** Free blocks below `top`, sorted by address. */
  private readonly freeList: { ptr: number; size: number }[] = [];
  private readonly sizes = new Map<number, number>();

  constructor(memory: WasmMemory, heapBase: number) {
    this.memory = memory;
    this.base = align16(heapBase);
    this.top = this.base;
    this.refresh();
  }

  /** Blocks handed out and not yet freed. */
  get liveBlocks(): number { return this.sizes.size; }
  /** Bytes in live blocks (after padding). */
  get bytesInUse(): number { let s = 0; for (const v of this.sizes.values()) s += v; return s; }
  /** Current size of wasm memory in bytes. */
  get memoryBytes(): number { return this.memory.buffer.byteLength; }

  /** A block of `floats` float32s (zero-filled); returns its byte address. */
  alloc(floats: number): number {
    const bytes = Math.max(16, align16(floats * 4));
    if (!Number.isFinite(bytes) || bytes > MAX_BYTES - this.base) {
      throw new OutOfMemoryError(`Arena.alloc: ${floats} floats (${bytes} bytes) exceed wasm32's 4 GiB address space`);
    }
    let ptr = -1;
    for (let i = 0; i < this.freeList.length; i++) {
      const blk = this.freeList[i]!;
      if (blk.size >= bytes) {
        ptr = blk.ptr;
        if (blk.size === bytes) this.freeList.splice(i, 1);
        else { blk.ptr += bytes; blk.size -= bytes; }
        break;
      }
    }
    if (ptr < 0) {
      const end = this.top + bytes;
      if (end > MAX_BYTES) {
        throw new OutOfMemoryError(`Arena.alloc: ${bytes} more bytes would take wasm memory to ${end} bytes, past wasm32's limit of ${MAX_BYTES} (4 GiB); ${this.bytesInUse} bytes are in use`);
      }
      this.ensure(end);
      ptr = this.top;
      this.top = end;
    }
    this.sizes.set(ptr, bytes);
    this.u8.fill(0, ptr, ptr + bytes);
    return ptr;
  }

  /** Returns a block to the arena. Freeing an unknown address is a no-op returning false. */
  free(ptr: number): boolean {
    const size = this.sizes.get(ptr);
    if (size === undefined) return false;
    this.sizes.delete(ptr);
    if (ptr + size === this.top) {
      this.top = ptr;
      // the highest free block may now touch the top
      const last = this.freeList[this.freeList.length - 1];
      if (last && last.ptr + last.size === this.top) { this.top = last.ptr; this.freeList.pop(); }
      return true;
    }
    let lo = 0, hi = this.freeList.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (this.freeList[mid]!.ptr < ptr) lo = mid + 1; else hi = mid; }
    const prev = this.freeList[lo - 1];
    const next = this.freeList[lo];
    if (prev && prev.ptr + prev.size === ptr) {
      prev.size += size;
      if (next && prev.ptr + prev.size === next.ptr) { prev.size += next.size; this.freeList.splice(lo, 1); }
    } else if (next && ptr + size === next.ptr) {
      next.ptr = ptr; next.size += size;
    } else {
      this.freeList.splice(lo, 0, { ptr, size });
    }
    return true;
  }

  /** Float32Array view of a block (valid until the next allocation that grows memory). */
  view(ptr: number, floats: number): Float32Array {
    return this.f32.subarray(ptr >>> 2, (ptr >>> 2) + floats);
  }

  private ensure(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return;
    // grow geometrically (at least 1/4 more) so repeated growth stays amortised
    const wantPages = Math.min(65536, Math.max(Math.ceil(bytes / PAGE), Math.ceil((have * 1.25) / PAGE)));
    try {
      this.memory.grow(wantPages - have / PAGE);
    } catch {
      const need = Math.ceil(bytes / PAGE);
      try { this.memory.grow(need - have / PAGE); } catch (e) {
        throw new OutOfMemoryError(`Arena: the engine refused to grow wasm memory to ${need * PAGE} bytes (${(e as Error).message})`);
      }
    }
    this.refresh();
  }

  private refresh(): void {
    this.f32 = new Float32Array(this.memory.buffer);
    this.u8 = new Uint8Array(this.memory.buffer);
  }
}

function align16(n: number): number {
  return Math.ceil(n / 16) * 16;
}
