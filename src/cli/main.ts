// `wasmlp <command>`: dispatch, help, and the error policy: a problem with the user's input (flags,
// files, data, a model file) is one line on stderr and exit code 2; a bug is one line and exit 1
// (WASMLP_DEBUG=1 prints its stack).
import { readFileSync } from 'node:fs';
import { WasmlpError } from '../index.js';
import { suggest } from '../internal.js';
import { CliError } from './args.js';
import { EVALUATE_HELP, evaluate } from './evaluate.js';
import { INFO_HELP, info } from './info.js';
import { PREDICT_HELP, predict } from './predict.js';
import { TRAIN_HELP, train } from './train.js';
import { EXPORT_HELP, exportModel } from './export.js';

/** A command's run resolves to its exit code, or to nothing for 0. */
const COMMANDS: Record<string, { run: (argv: string[]) => Promise<void | number>; help: string; summary: string }> = {
  train: { run: train, help: TRAIN_HELP, summary: 'train a network on a CSV file and save it' },
  predict: { run: predict, help: PREDICT_HELP, summary: 'predict every row of a CSV file' },
  evaluate: { run: evaluate, help: EVALUATE_HELP, summary: 'loss, accuracy and confusion matrix on a labelled CSV file' },
  info: { run: info, help: INFO_HELP, summary: 'architecture, parameter count and training options of a model file' },
  export: { run: exportModel, help: EXPORT_HELP, summary: 'write a model as ONNX (for onnxruntime and other ONNX tools)' },
};

export const USAGE = `usage: wasmlp <command> [options]

Fully connected neural networks on WebAssembly SIMD, for CSV files.

commands:
${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)}${c.summary}`).join('\n')}

'wasmlp <command> --help' describes a command's options. Quick walk-through:
  wasmlp train --data examples/iris.csv --target species --out iris-model.json
  wasmlp evaluate --model iris-model.json --data examples/iris.csv
  wasmlp predict --model iris-model.json --data examples/iris.csv --out predictions.csv
  wasmlp info --model iris-model.json
  wasmlp export --model iris-model.json --onnx iris.onnx

exit codes: 0 success, 2 bad input (flags, files, data), 1 internal error;
  train stopped by Ctrl-C (SIGINT) or SIGTERM saves the model so far and exits 130 or 143
`;

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Runs the CLI on `argv` (without node and the script); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  let command = first ?? '';
  try {
    if (first === undefined) {
      process.stderr.write(USAGE);
      return 2;
    }
    if (first === '--help' || first === '-h' || first === 'help') {
      const sub = first === 'help' ? rest[0] : undefined;
      if (sub !== undefined && COMMANDS[sub]) process.stdout.write(COMMANDS[sub].help);
      else if (sub !== undefined) throw new CliError(unknownCommand(sub));
      else process.stdout.write(USAGE);
      return 0;
    }
    if (first === '--version' || first === '-v') {
      console.log(version());
      return 0;
    }
    const c = COMMANDS[first];
    if (!c) {
      command = '';
      throw new CliError(unknownCommand(first));
    }
    return (await c.run(rest)) ?? 0;
  } catch (e) {
    const prefix = command && COMMANDS[command] ? `wasmlp ${command}: ` : 'wasmlp: ';
    if (e instanceof CliError || e instanceof WasmlpError) {
      process.stderr.write(`${prefix}${oneLine(e.message)}\n`);
      return 2;
    }
    const err = e as Error;
    if (process.env.WASMLP_DEBUG) process.stderr.write(`${err?.stack ?? String(e)}\n`);
    process.stderr.write(`${prefix}internal error: ${oneLine(err?.message ?? String(e))} (set WASMLP_DEBUG=1 to see where)\n`);
    return 1;
  }
}

function unknownCommand(name: string): string {
  const hint = name.startsWith('-') ? undefined : suggest(name, Object.keys(COMMANDS));
  const what = name.startsWith('-') ? `unknown option '${name}' before the command` : `unknown command '${name}'`;
  return `${what}${hint ? ` (did you mean '${hint}'?)` : ''}; the commands are ${Object.keys(COMMANDS).join(', ')} (see 'wasmlp --help')`;
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ').trim();
}
