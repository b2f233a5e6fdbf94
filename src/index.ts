export { Network } from './model.js';
export type {
  Gradients, AnyLayerGradients, DenseGradients, NormalizationGradients, DropoutGradients, LayerWeights, AnyLayerWeights, LayerWeightsInput,
  DenseWeights, DenseWeightsInput, BatchNormalizationWeights, LayerNormalizationWeights, DropoutWeights, NormalizationWeightsInput,
  LayerType, LayerWeightsOf, LayerGradientsOf, Trace, TraceOptions, PredictOptions, FitOptions, History, EpochLog,
} from './model.js';
export type { Metric, MetricValue, MetricValues, Evaluation } from './metrics.js';
export type {
  LearningRate, LearningRateSchedule, LearningRateFunction, ExponentialDecay, CosineDecay, PiecewiseConstantDecay, InverseTimeDecay,
} from './schedules.js';
export type { ClipConfig } from './optim/clip.js';
export type { EvaluateOptions, TrainBatchOptions } from './model.js';
export type { EarlyStopping, Checkpoint, ReduceLROnPlateau } from './fit.js';
export type { NetworkOptions, ResolvedOptions, Loss, Reduction, LayerInput, LayerSpec } from './options.js';
export type { Activation, OutputActivation } from './activations.js';
export type { BatchInput, TargetInput } from './data.js';
export {
  WasmlpError, ShapeError, NonFiniteError, ArgumentTypeError, OptionError, DomainError,
  OutOfMemoryError, DisposedError, FormatError, DivergenceError, FileError, BusyError,
} from './errors.js';
export { WorkerError } from './wasm/threads.js';
export { toONNX, ONNX_OPSET, ONNX_IR_VERSION, ONNX_IR_VERSIONS, ONNX_INPUT, ONNX_OUTPUT } from './onnx.js';
export type { OnnxOptions, OnnxScale, OnnxOpset } from './onnx.js';
