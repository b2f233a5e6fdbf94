// Re-exports, nothing else (and the heap base the TypeScript Arena allocates from).
export {
  matmul_f32_nn, matmul_f32_nt, matmul_f32_tn, matmul_f32_ep, matmul_scratch_bytes, matmul_set_scratch,
  matmul_f32_chunk, matmul_job_words, matmul_tile_rows, matmul_tile_cols,
  matmul_tile_depth, matmul_block_rows, matmul_block_cols, matmul_direct_a_max_n,
} from './matmul';
export {
  hadamard_f32, add_f32, axpy_f32, scale_f32, sgd_f32, bias_add_f32, colsum_f32, fill_f32,
  nonfinite_index_f32,
} from './elementwise';
export {
  sigmoid_f32, sigmoid_grad_f32, tanh_f32, tanh_grad_f32, relu_f32, relu_grad_f32,
  leaky_relu_f32, leaky_relu_grad_f32, act_f32, act_grad_f32,
} from './activation';
export {
  softmax_f32_rows, softmax_xent_grad_f32, softmax_grad_f32, mse_grad_f32,
  xent_loss_f32, bce_loss_f32, mse_loss_f32, xent_loss_w_f32, bce_loss_w_f32, mse_loss_w_f32,
} from './softmax';
export {
  mae_loss_f32, mae_grad_f32, huber_loss_f32, huber_grad_f32, poisson_loss_f32, poisson_grad_f32,
  mae_loss_w_f32, huber_loss_w_f32, poisson_loss_w_f32, scale_rows_f32,
} from './loss';
export { sgd_momentum_f32, adam_f32, rmsprop_f32 } from './optim';
export { sumsq_f32, clamp_f32 } from './clip';
export { brain_train_f32, brain_run_f32 } from './brain';
export { gemv_f32_nt, gemv_f32_nt_hsum } from './gemv';
export {
  batchnorm_train_f32, batchnorm_infer_f32, batchnorm_backward_f32, layernorm_forward_f32, layernorm_backward_f32,
} from './norm';
export { dropout_forward_f32 } from './dropout';
export { l1l2_penalty_f32, l1l2_grad_f32 } from './penalty';

// First byte past the module's static data: the Arena starts here.
export function heap_base(): usize {
  return __heap_base;
}
