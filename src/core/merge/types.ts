/**
 * Types of the merge layer: what a method declares (for the UI's forms and for recipe validation), the
 * per-tensor plans a method produces, and the backend contract that runs them (CPU here, WebGPU in src/gpu).
 * The contract is in docs/ARCHITECTURE.md ("Merge methods").
 */
import type { ParamValue } from './params';

/** mergekit's method names: recipes are exchanged with mergekit, so the names are its names. */
export type MethodName =
  | 'slerp' | 'linear' | 'task_arithmetic' | 'ties' | 'dare_linear' | 'dare_ties' | 'breadcrumbs' | 'breadcrumbs_ties';

/** One parameter a method reads. Numbers may be given as scalars, gradients or conditional lists. */
export interface ParamSpec {
  name: string;
  type: 'number' | 'boolean';
  /** undefined = required (mergekit raises when a required parameter is missing). */
  default?: number | boolean;
  /** Inclusive range a value should lie in; the UI clamps sliders to it. Values outside are allowed
   * where mergekit allows them (e.g. SLERP's t is not clamped) and `strict` is false. */
  range?: [number, number];
  /** When true, a value outside `range` is a RecipeError. */
  strict?: boolean;
  description: string;
}

export interface MergeMethod {
  name: MethodName;
  prettyName: string;
  referenceUrl: string;
  /** Whether a base model is needed; for SLERP it is the t = 0 end and one of the two models. */
  base: 'required' | 'optional' | 'none';
  /** Number of models in the recipe, the base included when it is listed or required. */
  minModels: number;
  maxModels: number;
  /** Parameters read once per tensor from the top-level `parameters`. */
  parameters: ParamSpec[];
  /** Parameters read per model (`models[].parameters`, falling back to the top-level ones). */
  modelParameters: ParamSpec[];
  /** The plan for one tensor. */
  planTensor(ctx: PlanContext): TensorPlan;
}

/** What a method sees when it plans one tensor. */
export interface PlanContext {
  tensorName: string;
  numel: number;
  /** Input index of the base model, or -1 when the recipe has none. */
  base: number;
  /** Input indices of the non-base models, in recipe order (their position is the DARE model index). */
  models: number[];
  /** Seed of the run (DARE masks). */
  seed: number;
  /** Value of a global parameter for this tensor (already defaulted). */
  global(name: string): number | boolean;
  /** Value of a per-model parameter for this tensor and input (already defaulted). */
  model(input: number, name: string): number | boolean;
  /** Planning remarks for the user (e.g. "density keeps 0 of 1 values"). */
  note(message: string): void;
}

export type Sparsify =
  | { kind: 'none' }
  /** Keep ranks [lo, hi) of |d| sorted descending, ties broken by the lower flat index first. */
  | { kind: 'magnitude'; lo: number; hi: number }
  /** DARE: keep iff (bitsAt(key, i) >>> 8) < threshold24(density); rescale = L1 matching. */
  | { kind: 'bernoulli'; density: number; key: number; rescale: boolean };

export interface GtaModel { input: number; weight: number; sparsify: Sparsify }

export type TensorPlan =
  | { kind: 'copy'; input: number }
  /** out = Σ c_i · x_inputs[i] */
  | { kind: 'linear'; inputs: number[]; coeffs: number[] }
  /** a = the base (t = 0 end), b = the other; moments -> slerpCoefficients -> combine. */
  | { kind: 'slerp'; a: number; b: number; t: number }
  /** Generalised task arithmetic (task_arithmetic, ties, dare_*, breadcrumbs*). */
  | { kind: 'gta'; base: number; models: GtaModel[]; consensus: boolean; normalize: boolean; lambda: number };

/**
 * I/O of one tensor for a backend. Inputs are indexed like the executor's input list; every read is
 * already decoded to f32 (and cast to the recipe's `dtype` when it has one). Output is written
 * sequentially, `numel` f32 values in total, in as many calls as the backend likes; the executor rounds
 * them to the output dtype (RNE) and streams them to the file.
 */
export interface PlanIO {
  tensorName: string;
  numel: number;
  /** Largest number of elements a backend should hold per input at once. */
  chunkElems: number;
  readF32(input: number, start: number, nElems: number): Promise<Float32Array>;
  /** Raw little-endian bytes, for backends that decode themselves (e.g. BF16 on the GPU). */
  readRaw?(input: number, start: number, nElems: number): Promise<Uint8Array>;
  /** The stored dtype of an input's tensor (for readRaw users). */
  dtypeOf?(input: number): string;
  write(values: Float32Array): Promise<void>;
}

/** Runs plans. Implementations must give the CPU backend's results (GPU: within the documented ULPs). */
export interface MergeBackend {
  readonly name: string;
  runPlan(plan: TensorPlan, io: PlanIO, signal?: AbortSignal): Promise<void>;
  /** Release resources (GPU buffers, worker threads). */
  dispose?(): Promise<void> | void;
}

export type { ParamValue };
