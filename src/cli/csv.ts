// CSV files for the CLI: read with csv-parse (header row required), cells as trimmed strings with
// the line each row came from, so every data error names file, line and column.
import { parse } from 'csv-parse/sync';
import { suggest } from '../internal.js';
import { CliError } from './args.js';
import { readText } from './files.js';

export interface Table {
  /** The path as given (used in messages). */
  file: string;
  header: string[];
  rows: string[][];
  /** The file line each row ends on (1-based). */
  lines: number[];
}

/** Parses a CSV file with a header row. Empty lines are skipped; every row must have the header's width. */
export function readTable(file: string): Table {
  const text = readText(file, 'data file');
  if (text.replace(/^\uFEFF/, '').trim() === '') throw new CliError(`${file}: the file is empty (expected a header row, then one row per sample)`);
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { bom: true, trim: true, skip_empty_lines: true, skip_records_with_empty_values: true, info: true }) as unknown as typeof records;
  } catch (e) {
    const err = e as { code?: string; lines?: number; message?: string };
    const m = /expect (\d+), got (\d+)/.exec(String(err.message));
    if (err.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH' && m) {
      throw new CliError(`${file}: line ${err.lines}: ${m[2]} cells, but the header has ${m[1]} columns`);
    }
    throw new CliError(`${file}: not valid CSV: ${String(err.message).split('\n')[0]}`);
  }
  if (records.length === 0) throw new CliError(`${file}: the file is empty (expected a header row, then one row per sample)`);
  const header = records[0]!.record;
  header.forEach((name, i) => {
    if (name === '') throw new CliError(`${file}: line ${records[0]!.info.lines}: column ${i + 1} of the header has no name`);
    const first = header.indexOf(name);
    if (first !== i) throw new CliError(`${file}: line ${records[0]!.info.lines}: column name '${name}' appears twice (columns ${first + 1} and ${i + 1})`);
  });
  if (records.length === 1) throw new CliError(`${file}: no data rows after the header`);
  return { file, header, rows: records.slice(1).map((r) => r.record), lines: records.slice(1).map((r) => r.info.lines) };
}

/** Index of `name` in the header, or a CliError listing the columns (with a "did you mean"). */
export function columnIndex(t: Table, name: string, role: string): number {
  const i = t.header.indexOf(name);
  if (i >= 0) return i;
  const hint = suggest(name, t.header);
  throw new CliError(`${t.file}: no ${role} column '${name}'${hint ? ` (did you mean '${hint}'?)` : ''}; the columns are ${t.header.join(', ')}`);
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A decimal number cell (no hex, no 'Infinity', no empty cell), or a CliError naming line and column. */
export function numericCell(t: Table, row: number, col: number): number {
  const cell = t.rows[row]![col]!;
  const where = `${t.file}: line ${t.lines[row]}, column '${t.header[col]}'`;
  if (cell === '') throw new CliError(`${where}: missing value (expected a number)`);
  const v = Number(cell);
  if (!NUMBER.test(cell) || !Number.isFinite(v)) throw new CliError(`${where}: '${cell.length > 40 ? cell.slice(0, 40) + '…' : cell}' is not a number`);
  return v;
}

/** True if every row's cell in `col` is a decimal number. */
export function allNumeric(t: Table, col: number): boolean {
  return t.rows.every((r) => NUMBER.test(r[col]!) && Number.isFinite(Number(r[col])));
}

/** Row-major float64 matrix of the given columns. */
export function numericMatrix(t: Table, cols: number[]): Float64Array {
  const out = new Float64Array(t.rows.length * cols.length);
  for (let r = 0; r < t.rows.length; r++) {
    for (let j = 0; j < cols.length; j++) out[r * cols.length + j] = numericCell(t, r, cols[j]!);
  }
  return out;
}

/** A CSV cell, quoted when it needs to be. */
export function csvCell(s: string): string {
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}
