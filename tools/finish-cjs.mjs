// Completes the CommonJS build after `tsc -p tsconfig.cjs.json`: the CJS twin of src/where.ts was
// compiled as dist/cjs/where.cjs.* (moduleSuffixes resolves './where.js' to it, but tsc keeps the
// source's name), so it becomes dist/cjs/where.*, where the compiled require('./where.js') calls
// look; and dist/cjs/package.json marks the folder CommonJS (the package itself is "type": "module").
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

const dir = new URL('../dist/cjs/', import.meta.url);
const from = new URL('where.cjs.js', dir);
if (!existsSync(from)) throw new Error(`finish-cjs: ${from.pathname} missing; run tsc -p tsconfig.cjs.json first`);
const js = readFileSync(from, 'utf8').replace('//# sourceMappingURL=where.cjs.js.map', '//# sourceMappingURL=where.js.map');
writeFileSync(new URL('where.js', dir), js);
rmSync(from);
const map = JSON.parse(readFileSync(new URL('where.cjs.js.map', dir), 'utf8'));
writeFileSync(new URL('where.js.map', dir), JSON.stringify({ ...map, file: 'where.js' }));
rmSync(new URL('where.cjs.js.map', dir));
renameSync(new URL('where.cjs.d.ts', dir), new URL('where.d.ts', dir));
writeFileSync(new URL('package.json', dir), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);
