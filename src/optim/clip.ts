// Gradient clipping, Keras's clipnorm / global_clipnorm / clipvalue: the one home of the settings'
// names, checks and application. Optimizer.step runs it on the gradients the layers' backward left
// (l1/l2 penalty gradients included) before the update rule, whose weightDecay term comes after.
import { OptionError, describe } from '../errors.js';
import type { Kernels } from '../wasm/kernels.js';

/** The clipping settings every optimizer takes (absent: off). */
export interface ClipConfig {
  /** Each parameter block's gradient g becomes g·clipNorm/‖g‖₂ when ‖g‖₂ > clipNorm (Keras's per-variable clipnorm). */
  clipNorm?: number;
  /** All gradients together: each g becomes g·globalClipNorm/N when N = √(Σ over blocks ‖g‖₂²) > globalClipNorm (Keras's global_clipnorm). */
  globalClipNorm?: number;
  /** Each gradient element clamped to [−clipValue, clipValue] (Keras's clipvalue), after a norm clip if one is set. */
  clipValue?: number;
}

export const CLIP_KEYS = ['clipNorm', 'globalClipNorm', 'clipValue'] as const;

/** The clipping settings of an optimizer object `o` (its path is `name`), checked: finite numbers > 0, at most one of clipNorm and globalClipNorm. */
export function resolveClipping(o: Record<string, unknown>, name: string): ClipConfig {
  const c: ClipConfig = {};
  for (const key of CLIP_KEYS) {
    const v = o[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new OptionError(`${name}.${key}: expected a finite number > 0, got ${describe(v)}`);
    c[key] = v;
  }
  if (c.clipNorm !== undefined && c.globalClipNorm !== undefined) {
    throw new OptionError(`${name}.globalClipNorm: set at most one of clipNorm (${c.clipNorm}) and globalClipNorm (${c.globalClipNorm}), as Keras requires`);
  }
  return c;
}

/** A parameter block's gradient: a byte address and a float count. */
interface GradRef { grad: number; length: number }

/**
 * Clips the gradients in place. Norms are summed in f64 (sumsq_f32) and compared in f64; a block
 * is rescaled only when its norm exceeds the limit (scale_f32 by limit/norm rounded to f32), so
 * gradients within the limit, and all-zero ones, are left bit for bit. A NaN norm rescales
 * nothing: the NaN reaches the weights and fit's divergence guard sees it.
 */
export function clipGradients(k: Kernels, params: readonly GradRef[], c: ClipConfig): void {
  if (c.clipNorm !== undefined) {
    for (const p of params) {
      const norm = Math.sqrt(k.sumsq_f32(p.grad, p.length));
      if (norm > c.clipNorm) k.scale_f32(p.grad, p.grad, c.clipNorm / norm, p.length);
    }
  } else if (c.globalClipNorm !== undefined) {
    let sum = 0;
    for (const p of params) sum += k.sumsq_f32(p.grad, p.length);
    const norm = Math.sqrt(sum);
    if (norm > c.globalClipNorm) for (const p of params) k.scale_f32(p.grad, p.grad, c.globalClipNorm / norm, p.length);
  }
  if (c.clipValue !== undefined) for (const p of params) k.clamp_f32(p.grad, p.grad, -c.clipValue, c.clipValue, p.length);
}
