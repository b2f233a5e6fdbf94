#!/usr/bin/env node
// The `wasmlp` command (package.json "bin"): train, predict, evaluate and info on CSV files.
// See src/cli/main.ts; `wasmlp --help` lists the commands.
import { main } from './cli/main.js';

void main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
