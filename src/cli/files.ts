// Files for the CLI: reading and (atomic) writing with one-line errors that name the file and the
// reason, for every command.
import { readFileSync, statSync } from 'node:fs';
import { atomicWriteSync } from '../internal.js';
import { CliError } from './args.js';

/** Reads a file as UTF-8 text; a missing, unreadable or directory path is a CliError. */
export function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${what} '${file}': ${fsReason(e)}`);
  }
}

/** Reads a file as bytes; a missing, unreadable or directory path is a CliError. */
export function readBytes(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new CliError(`cannot read ${what} '${file}': ${fsReason(e)}`);
  }
}

/** A short reason for a file-system error. */
export function fsReason(e: unknown): string {
  const code = (e as { code?: string }).code;
  switch (code) {
    case 'ENOENT': return 'no such file or directory';
    case 'EISDIR': return 'it is a directory';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'ENOTDIR': return 'a parent of the path is not a directory';
    default: return (e as Error).message ?? String(e);
  }
}

/** Writes `data` to `file` through a flushed temporary file and a rename (the library's atomicWriteSync), so a failure never leaves half a file. */
export function writeAtomic(file: string, data: string | Uint8Array, what: string): void {
  try {
    atomicWriteSync(file, data);
  } catch (e) {
    // renaming onto a directory fails with EISDIR, or EBUSY for '.' and mount points
    throw new CliError(`cannot write ${what} '${file}': ${isDirectory(file) ? 'it is a directory' : fsReason(e)}`);
  }
}

function isDirectory(file: string): boolean {
  try { return statSync(file).isDirectory(); } catch { return false; }
}
