/**
 * The evaluation API for the engine, the evolution loop and the UI (browser-safe: no node: imports;
 * Node callers add `nodeAssetReader` from './node-assets').
 */
export { createEvaluator, loadWeights, type Evaluator, type EvaluatorOptions, type EvalResult, type ModelWeights } from './evaluator';
export { parseLlamaConfig, toHfConfig, expectedTensors, validateTensors, EvalConfigError, type LlamaConfig } from './config';
export { parseVocab, encodeText, decodeIds, type Vocab } from './vocab';
export { parseSuite, parseSuiteIndex, SuiteError, type Suite, type Example } from './suites';
export { loadModelDir, loadSuites, loadZooIndex, parseZooIndex, ZooError, type AssetReader, type LoadedModel, type ZooIndex, type ZooModelEntry } from './assets';
export { fetchAssetReader, memoryByteSource } from './fetch-assets';
export { forwardCpu } from './forward-cpu';
export { OrtError, type Backend } from './ort-session';
export type { SuiteScores } from './score';
