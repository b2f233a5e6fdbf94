// Stand-in for the native 'webgpu' package: see package.json. gpu.js catches this and reports its GPU backends unsupported.
throw new Error("'webgpu' is a stub in wasmlp's dev install (tools/npm-stubs/webgpu): brain.js's GPU backends are not available here");
