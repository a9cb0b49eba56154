// The CPU evaluation engine (onnxruntime-node): public entry points.
export { buildModelBytes, buildModelProto, ropeTables, type BuildOptions } from './graph.js';
export { evalLoss, generate, lastLogits, getSession, releaseSessions, onnxMatmulGflops, pickToken } from './onnx.js';
export { mulberry32 } from '../util/random.js';
export type { EvalResult, GenerateOptions, MatmulBench, SessionOptions } from './onnx.js';
export { evalOnData, spreadIds, type DatasetEvalOptions, type DatasetEvalResult } from './dataset.js';
