// The CommonJS twin of src/where.ts (tsconfig.cjs.json resolves './where.js' here through
// moduleSuffixes; tools/finish-cjs.mjs renames the output to dist/cjs/where.js). It runs from
// dist/cjs/, two levels below the package root. The ESM build does not compile this file.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The package root as a directory URL (ends with '/'): resolve shipped files against it. */
export const PACKAGE_ROOT: URL = pathToFileURL(join(__dirname, '..', '..', '/'));
