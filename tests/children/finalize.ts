// Run by tests/memory.test.ts as `node --expose-gc --import tsx tests/children/finalize.ts`:
// creates networks, trains each one batch and drops them without dispose(), then collects
// garbage until the FinalizationRegistry has returned their blocks. Prints one JSON line.
import { Network } from '../../src/index.js';
import { backend } from '../../src/internal.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
const count = Number(process.argv[2] ?? 2000);
const { arena } = backend();
const snap = () => ({ blocks: arena.liveBlocks, bytes: arena.bytesInUse, memory: arena.memoryBytes });

const x = new Float32Array(8 * 16).map((_, i) => Math.sin(i));
const y = new Float32Array(8 * 4).map((_, i) => (i % 4 === 0 ? 1 : 0));
function wave(): void {
  for (let i = 0; i < count; i++) {
    const net = new Network({ layers: [16, 32, 4], activation: 'relu', outputActivation: 'softmax', optimizer: 'adam', seed: i, threads: 1 });
    net.trainBatch(x, y); // and then forgotten
  }
}
async function collect(target: number): Promise<number> {
  let rounds = 0;
  while (arena.liveBlocks > target && rounds < 200) {
    gc!();
    await new Promise((r) => setTimeout(r, 5)); // finalizers run as tasks after a collection
    rounds++;
  }
  return rounds;
}

// the backend's own scratch blocks are allocated on first use: start after one network
new Network({ layers: [16, 32, 4], threads: 1 }).dispose();
const start = snap();
wave();
const peak1 = snap();
const rounds1 = await collect(start.blocks);
const after1 = snap();
wave();
const peak2 = snap();
const rounds2 = await collect(start.blocks);
const after2 = snap();
console.log(JSON.stringify({ start, peak1, after1, peak2, after2, rounds1, rounds2 }));
