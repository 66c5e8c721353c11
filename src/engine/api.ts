/**
 * The engine's interface: what the UI calls, in-process (tests, Node) or inside a module Web Worker
 * through comlink (the browser). Everything crossing it is structured-cloneable; callbacks are passed
 * through comlink.proxy; cancellation is by job id (an AbortSignal cannot cross a worker boundary).
 */
import type { KinshipResult } from '../core/kinship';
import type { MergeRecipe } from '../core/merge/recipe';
import type { EvolveConfig, EvolveEvent, EvolveRecord, EvolveState, Scores } from '../evolve/types';
import type { LayerChange } from '../evolve/analysis';
import type { Progress } from '../core/types';

export type BackendChoice = 'auto' | 'webgpu' | 'cpu';

export interface EngineInfo {
  /** Backend that merges and computes kinship. */
  backend: 'webgpu' | 'cpu';
  /** The WebGPU adapter, in words, when the backend is webgpu. */
  adapter: string | null;
  /** Why the CPU path is used (no navigator.gpu, no adapter, forced, device lost...). */
  reason: string | null;
  /** Whether the adapter is a software fallback (SwiftShader). */
  fallbackAdapter: boolean;
}

export interface EngineModel {
  id: string;
  kind: 'zoo' | 'merged' | 'library';
  name?: string;
  role?: 'base' | 'expert' | 'stranger';
  skill?: string;
  parents?: string[];
  params: number;
}

export interface ZooSummary {
  name: string;
  skills: string[];
  base: string;
  models: EngineModel[];
}

export interface MergeRequest {
  /** Recipe whose model references are engine model ids (zoo names or merged ids). */
  recipe: MergeRecipe;
  seed?: number;
  /** Id for the result (default: a generated one). */
  id?: string;
  /** Stream the result into the model library under this name instead of keeping it in memory. */
  saveAs?: string;
}

export interface MergeOutcome {
  id: string;
  notes: string[];
  params: number;
  seconds: number;
}

export interface EvolveRequest {
  config: EvolveConfig;
  foundation: string[];
  /** Continue the saved run (after a reload) instead of starting over. */
  resume?: boolean;
  /** Merge operator template ($A, $B, $BASE); default the paper's gradient SLERP. */
  template?: MergeRecipe;
  /**
   * 'cpu' (default): merges and kinship on the CPU reference, bit-identical to `kinmerge evolve` on
   * any machine, so a share link reproduces the same lineage and scores; 'engine': the engine's
   * backend (WebGPU when available), equal within the documented ULPs.
   */
  compute?: 'cpu' | 'engine';
}

export interface SavedRun {
  request: EvolveRequest;
  state: EvolveState;
  savedAt: string;
}

export type ProgressCallback = (p: Progress) => void;
export type EvolveCallback = (e: EvolveEvent) => void;

export interface MergeEngine {
  init(backend?: BackendChoice): Promise<EngineInfo>;
  info(): Promise<EngineInfo>;
  zoo(): Promise<ZooSummary>;
  models(): Promise<EngineModel[]>;
  kinship(jobId: string, ids: string[], opts?: { split?: boolean }, onProgress?: ProgressCallback): Promise<KinshipResult>;
  merge(jobId: string, req: MergeRequest, onProgress?: ProgressCallback): Promise<MergeOutcome>;
  evaluate(jobId: string, id: string): Promise<Scores>;
  evolve(jobId: string, req: EvolveRequest, onEvent?: EvolveCallback): Promise<EvolveRecord>;
  /** The run saved after its last finished generation, if any (to offer a resume after a reload). */
  savedRun(): Promise<SavedRun | null>;
  clearSavedRun(): Promise<void>;
  pause(jobId: string): Promise<void>;
  resume(jobId: string): Promise<void>;
  cancel(jobId: string): Promise<void>;
  weightChange(parent: string, child: string): Promise<LayerChange[]>;
  /** A model's safetensors bytes (zoo models read from their file, merged ones from memory). */
  exportModel(id: string): Promise<Uint8Array>;
  /** The recipe of a merged model, references as engine ids. */
  recipeOf(id: string): Promise<MergeRecipe | null>;
}
