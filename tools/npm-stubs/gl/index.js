// Stand-in for the native 'gl' package: see package.json. gpu.js catches this and reports its GPU backends unsupported.
throw new Error("'gl' is a stub in wasmlp's dev install (tools/npm-stubs/gl): brain.js's GPU backends are not available here");
