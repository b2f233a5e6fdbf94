// Command-line arguments for `wasmlp`: node:util parseArgs with one-line error messages, and the
// parsers for flag values (integers, fractions, lists, choices).
import { parseArgs } from 'node:util';
import { suggest } from '../internal.js';

/** A problem with the user's input (flags, files, data): printed as one line, exit code 2. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

/** One flag of a command: its type, a placeholder and a line of help. */
export interface FlagSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Shown in help: `--data FILE`. */
  value?: string;
  help: string;
  /** Shown in help as the default. */
  default?: string;
  required?: boolean;
}

export type Flags = Record<string, FlagSpec>;
export type Values = Record<string, string | boolean | undefined>;

/** Parses `argv` against `flags`; unknown flags, missing values and stray arguments become CliErrors. */
export function parseFlags(argv: string[], flags: Flags, command: string): Values {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, f] of Object.entries(flags)) options[name] = f.short ? { type: f.type, short: f.short } : { type: f.type };
  let values: Values;
  try {
    values = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as Values;
  } catch (e) {
    throw new CliError(describeParseError(e, Object.keys(flags), command));
  }
  return values;
}

function describeParseError(e: unknown, known: string[], command: string): string {
  const err = e as { code?: string; message?: string };
  const msg = String(err.message ?? e);
  const quoted = /'([^']*)'/.exec(msg)?.[1] ?? '';
  // "'-h, --help'" → "--help"; "'--data <value>'" → "--data"; "'--foo'" → "--foo"
  const flag = /--[^\s,<]+/.exec(quoted)?.[0] ?? quoted.replace(/ <value>$/, '');
  const see = `see 'wasmlp ${command} --help'`;
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const hint = suggest(flag.replace(/^-+/, '').split('=')[0]!, known);
      return `unknown option '${flag}'${hint ? ` (did you mean '--${hint}'?)` : ''}; ${see}`;
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (/does not take an argument/.test(msg)) return `option '${flag}' takes no value; ${see}`;
      return `option '${flag}' needs a value (for a value starting with '-', write ${flag}=VALUE); ${see}`;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument '${flag}' (every value follows its flag, e.g. --data file.csv); ${see}`;
    default:
      return `${msg.split('\n')[0]}; ${see}`;
  }
}

/** The value of a required string flag. */
export function required(values: Values, name: string, command: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v === '') throw new CliError(`missing required option --${name}; see 'wasmlp ${command} --help'`);
  return v;
}

/** An integer ≥ `min` (default 1). */
export function integer(v: string | undefined, name: string, fallback: number, min = 1): number {
  if (v === undefined) return fallback;
  if (!/^[+-]?\d+$/.test(v.trim()) || !Number.isSafeInteger(Number(v)) || Number(v) < min) {
    throw new CliError(`--${name}: expected an integer${min === Number.MIN_SAFE_INTEGER ? '' : ` ≥ ${min}`}, got '${v}'`);
  }
  return Number(v);
}

/** A finite number in the given range. */
export function number(v: string | undefined, name: string, fallback: number | undefined, lo: number, hi: number, loOpen: boolean, hiOpen: boolean): number | undefined {
  if (v === undefined) return fallback;
  const x = Number(v);
  const ok = v.trim() !== '' && Number.isFinite(x) && (loOpen ? x > lo : x >= lo) && (hiOpen ? x < hi : x <= hi);
  if (!ok) {
    const range = `${loOpen ? '(' : '['}${lo}, ${hi === Infinity ? '∞' : hi}${hiOpen ? ')' : ']'}`;
    throw new CliError(`--${name}: expected a number in ${range}, got '${v}'`);
  }
  return x;
}

/** One of `allowed`, with a "did you mean". */
export function choice<T extends string>(v: string | undefined, name: string, allowed: readonly T[], fallback: T): T {
  if (v === undefined) return fallback;
  if ((allowed as readonly string[]).includes(v)) return v as T;
  const hint = suggest(v, allowed);
  throw new CliError(`--${name}: expected one of ${allowed.join(', ')}, got '${v}'${hint ? ` (did you mean '${hint}'?)` : ''}`);
}

/** A comma-separated list of non-empty names. */
export function list(v: string, name: string): string[] {
  const items = v.split(',').map((s) => s.trim());
  if (items.some((s) => s === '')) throw new CliError(`--${name}: expected a comma-separated list such as a,b,c, got '${v}'`);
  return items;
}

/** Help text for a command from its flags. */
export function helpText(usage: string, summary: string, flags: Flags, footer = ''): string {
  const rows = Object.entries(flags).map(([name, f]) => {
    const left = `${f.short ? `-${f.short}, ` : '    '}--${name}${f.value ? ` ${f.value}` : ''}`;
    const extra = [f.required ? 'required' : '', f.default !== undefined ? `default: ${f.default}` : ''].filter(Boolean).join('; ');
    return [left, `${f.help}${extra ? ` (${extra})` : ''}`] as const;
  });
  const w = Math.max(...rows.map(([l]) => l.length)) + 2;
  return [`usage: ${usage}`, '', summary, '', 'options:', ...rows.map(([l, r]) => `  ${l.padEnd(w)}${r}`), ...(footer ? ['', footer] : [])].join('\n') + '\n';
}
