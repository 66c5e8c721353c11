/**
 * The engine's module Web Worker: merges, kinship, evaluation (onnxruntime-web) and evolution run
 * here, off the UI thread. Nothing else: the implementation is createEngine.
 */
import { expose } from 'comlink';
import { createStore, del, get, set } from 'idb-keyval';
import { fetchAssetReader } from '../eval/fetch-assets';
import { createEngine, type RunStore } from './engine';
import type { SavedRun } from './api';
import { Library } from '../store/library';

const store = createStore('kinmerge-runs', 'runs');
const runs: RunStore = {
  get: () => get<SavedRun>('current', store),
  set: (r) => set('current', r, store),
  del: () => del('current', store),
};

const engine = createEngine({
  assets: fetchAssetReader(import.meta.env.BASE_URL ?? '/'),
  runs,
  library: new Library(),
  gpu: async () => {
    const { requestGpuContext, describeAdapter } = await import('../gpu/context');
    const probe = await requestGpuContext();
    const adapter = describeAdapter(probe.info);
    const fallback = probe.info.isFallback;
    probe.destroy();
    const [{ createWebGpuMergeBackend }, { createGramBackend }] = await Promise.all([import('../gpu/merge-backend'), import('../gpu/kinship-backend')]);
    const [merge, gram] = await Promise.all([createWebGpuMergeBackend(), createGramBackend()]);
    return { merge, gram, adapter, fallback };
  },
});

expose(engine);
