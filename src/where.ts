// Where the package lives, for the files it reads at run time (build/*.wasm, proto/onnx.proto,
// package.json). One module per output format, picked at build time: this one for the ESM build
// (dist/), its twin src/where.cjs.ts for the CommonJS build (dist/cjs/, see tsconfig.cjs.json), so
// no other module needs import.meta or __dirname. Both sit one level below the package root
// (src/ and dist/ here; dist/cjs/ is two levels down, which the twin accounts for).

/** The package root as a directory URL (ends with '/'): resolve shipped files against it. */
export const PACKAGE_ROOT: URL = new URL('../', import.meta.url);
