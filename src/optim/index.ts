import type { Arena } from '../wasm/memory.js';
import type { Kernels } from '../wasm/kernels.js';
import { Adam } from './adam.js';
import { Rmsprop } from './rmsprop.js';
import { Sgd } from './sgd.js';
import type { Optimizer, OptimizerConfig, ParamRef } from './types.js';

export type { Optimizer, OptimizerConfig, ParamRef, SgdConfig, AdamConfig, AdamWConfig, RmspropConfig } from './types.js';
export { CLIP_KEYS, resolveClipping, type ClipConfig } from './clip.js';

/** Builds the optimizer a configuration names, with its state allocated in the arena. */
export function createOptimizer(kernels: Kernels, arena: Arena, params: readonly ParamRef[], config: OptimizerConfig): Optimizer {
  switch (config.type) {
    case 'sgd': return new Sgd(kernels, arena, params, config);
    case 'adam':
    case 'adamw': return new Adam(kernels, arena, params, config);
    case 'rmsprop': return new Rmsprop(kernels, arena, params, config);
  }
}
