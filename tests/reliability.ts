// Shared by the reliability tests (catalogue, memory, files, property): the soak switch, the
// .wasmlp layout as plain code (independent of src/io.ts) and child-process plumbing.
import { spawn, type ChildProcess } from 'node:child_process';
import { crc32 } from 'node:zlib';
import { fileURLToPath } from 'node:url';

/** `npm run test:soak` sets WASMLP_SOAK=1: the long versions (more runs, kills, steps). */
export const SOAK = process.env.WASMLP_SOAK === '1';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A .wasmlp file split into its parts: "WASMLP", u16 version, u32 header length, JSON header, padding, payload, u32 CRC32. */
export function parseWasmlp(bytes: Buffer): { version: number; hlen: number; header: Record<string, unknown>; start: number; payload: Buffer; stored: number } {
  const hlen = bytes.readUInt32LE(8);
  const start = (12 + hlen + 3) & ~3;
  return {
    version: bytes.readUInt16LE(6),
    hlen,
    header: JSON.parse(bytes.toString('utf8', 12, 12 + hlen)) as Record<string, unknown>,
    start,
    payload: bytes.subarray(start, bytes.length - 4),
    stored: bytes.readUInt32LE(bytes.length - 4),
  };
}

/** A .wasmlp file with the given header and payload, laid out as documented (CRC recomputed unless given). */
export function buildWasmlp(header: unknown, payload: Buffer, opts: { version?: number; crc?: number } = {}): Buffer {
  const h = Buffer.from(JSON.stringify(header), 'utf8');
  const start = (12 + h.length + 3) & ~3;
  const out = Buffer.alloc(start + payload.length + 4);
  out.write('WASMLP', 0, 'latin1');
  const hv = (header as { version?: unknown } | null)?.version;
  out.writeUInt16LE(opts.version ?? (hv === 1 ? 1 : 2), 6); // the file's version says what its header says (1 or 2; 2 for anything else)
  out.writeUInt32LE(h.length, 8);
  h.copy(out, 12);
  payload.copy(out, start);
  out.writeUInt32LE(opts.crc ?? crc32(payload), start + payload.length);
  return out;
}

/** Little-endian float32 values as base64 (the JSON format's blocks). */
export function b64(values: ArrayLike<number>): string {
  const buf = Buffer.alloc(values.length * 4);
  for (let i = 0; i < values.length; i++) buf.writeFloatLE(values[i]!, i * 4);
  return buf.toString('base64');
}

/** Starts `node [flags] --import tsx <script> ...args` in the repository root. */
export function tsxChild(script: string, args: string[], flags: string[] = []): ChildProcess {
  return spawn(process.execPath, [...flags, '--import', 'tsx', script, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs a child to completion; resolves with its exit code, stdout and stderr. */
export function runChild(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  let stdout = '', stderr = '';
  child.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** The pid of a process that has exited: runs `node -e 0` to completion (the pid is free until the system reuses it). */
export async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  const pid = child.pid!;
  await new Promise<void>((resolve, reject) => { child.on('error', reject); child.on('close', () => resolve()); });
  return pid;
}
