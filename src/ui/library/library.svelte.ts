/**
 * The Library view's session: the user's models in IndexedDB (the same database the engine worker
 * reads), storage use, and one import at a time: choose a source, preflight it from headers alone,
 * then stream it in with byte progress and a cancel. Lists are `$state.raw` (replaced, never mutated).
 */
import {
  Library, importFiles, importFromUrl, importFromHub, preflightFiles, preflightUrl, preflightHub, preflightLibrary,
  compareModels, storageStatus, requestPersist, saveModel, mergekitConfigFor, modelCardFor, downloadBlob,
  type ModelManifest, type NamedBlob, type PreflightReport, type CompatibilityReport, type StorageStatus,
} from '../../store/index.ts';
import { CancelledError } from '../../core/errors.ts';
import type { Progress, TensorInfo } from '../../core/types.ts';

/** What the user picked to import, before any weights are read. */
export type ImportSource =
  | { kind: 'files'; files: NamedBlob[]; label: string }
  | { kind: 'url'; url: string; label: string }
  | { kind: 'hf'; ref: string; label: string };

/** Reference a preflight is compared with: the zoo base (by URL) or a library model (by id). */
export const ZOO_BASE = 'zoo:base';

export class LibrarySession {
  readonly lib: Library;
  models = $state.raw<ModelManifest[]>([]);
  storage = $state.raw<StorageStatus | null>(null);
  libraryBytes = $state(0);
  persisted = $state<boolean | null>(null);
  source = $state.raw<ImportSource | null>(null);
  preflight = $state.raw<PreflightReport | null>(null);
  compat = $state.raw<CompatibilityReport | null>(null);
  compareWith = $state(ZOO_BASE);
  progress = $state.raw<Progress | null>(null);
  /** What runs now ('preflight', 'import', 'export'), for disabling buttons; null when idle. */
  busy = $state<string | null>(null);
  error = $state.raw<unknown>(null);
  errorSource = $state('');
  notice = $state<string | null>(null);
  private abort: AbortController | null = null;
  private zooBase: TensorInfo[] | null = null;

  constructor(lib = new Library()) {
    this.lib = lib;
  }

  /** Start-up: remove what crashed or reloaded imports left behind, then list. */
  async start(): Promise<void> {
    try {
      const swept = await this.lib.sweepOrphans();
      if (swept.ids.length) this.notice = `Removed the leftovers of ${swept.ids.length} interrupted import(s).`;
    } catch (e) {
      this.fail(e, 'tidying the library');
    }
    await this.refresh();
  }

  async refresh(): Promise<void> {
    try {
      this.models = await this.lib.list();
      this.libraryBytes = this.models.reduce((s, m) => s + m.bytes, 0);
      this.storage = await storageStatus();
      this.persisted = this.storage.persisted ?? null;
    } catch (e) {
      this.fail(e, 'reading the library');
    }
  }

  async persist(): Promise<void> {
    this.persisted = await requestPersist();
    this.notice = this.persisted
      ? 'The browser will keep your models even when disk space runs low.'
      : 'The browser did not promise to keep your models (it decides from how often you visit). Export the ones you need.';
  }

  async rename(id: string, name: string): Promise<void> {
    try {
      await this.lib.rename(id, name);
    } catch (e) {
      this.fail(e, 'renaming a model');
    }
    await this.refresh();
  }

  async remove(id: string): Promise<void> {
    try {
      await this.lib.delete(id);
    } catch (e) {
      this.fail(e, 'deleting a model');
    }
    await this.refresh();
  }

  /** Picks a source and reads its headers at once, so a mismatch shows before any download. */
  async choose(source: ImportSource): Promise<void> {
    if (this.busy) return;
    this.source = source;
    this.preflight = null;
    this.compat = null;
    this.error = null;
    this.notice = null;
    await this.runPreflight();
  }

  async runPreflight(): Promise<void> {
    const s = this.source;
    if (!s) return;
    await this.guard('preflight', `reading the headers of ${s.label}`, async (signal) => {
      const rep = s.kind === 'files' ? await preflightFiles(s.files, { signal })
        : s.kind === 'url' ? await preflightUrl(s.url, { signal })
        : await preflightHub(s.ref, { signal });
      this.preflight = rep;
      await this.compare();
    });
  }

  /** Compares the preflight with the chosen reference (zoo base or a library model). */
  async compare(): Promise<void> {
    const rep = this.preflight;
    if (!rep) return;
    try {
      const ref = await this.referenceTensors(this.compareWith);
      this.compat = compareModels([ref, { id: rep.id, tensors: rep.tensors, config: rep.config }]);
    } catch (e) {
      this.compat = null;
      this.fail(e, 'reading the model to compare with');
    }
  }

  private async referenceTensors(ref: string): Promise<{ id: string; tensors: TensorInfo[]; config?: Record<string, unknown> }> {
    if (ref === ZOO_BASE) {
      // The zoo's files are served with the app (Range-capable, cached offline by the service worker).
      this.zooBase ??= (await preflightUrl(new URL('zoo/base/model.safetensors', location.href).href)).tensors;
      return { id: 'zoo base', tensors: this.zooBase };
    }
    const r = await preflightLibrary(this.lib, ref);
    return { id: this.models.find((m) => m.id === ref)?.name ?? ref, tensors: r.tensors, config: r.config };
  }

  async importChosen(name?: string): Promise<void> {
    const s = this.source;
    if (!s) return;
    await this.guard('import', `importing ${s.label}`, async (signal) => {
      const opts = { signal, name: name?.trim() || undefined, onProgress: (p: Progress) => { this.progress = p; } };
      const m = s.kind === 'files' ? await importFiles(this.lib, s.files, opts)
        : s.kind === 'url' ? await importFromUrl(this.lib, s.url, opts)
        : await importFromHub(this.lib, s.ref, opts);
      const skipped = 'skipped' in m && Array.isArray(m.skipped) && m.skipped.length ? ` Skipped: ${m.skipped.join(', ')}.` : '';
      this.notice = `Imported "${m.name}" (${m.params.toLocaleString('en')} parameters).${skipped}`;
      this.source = null;
      this.preflight = null;
      this.compat = null;
    });
    await this.refresh();
  }

  cancel(): void {
    this.abort?.abort();
  }

  clearSource(): void {
    if (this.busy) return;
    this.source = null;
    this.preflight = null;
    this.compat = null;
  }

  async exportModel(id: string): Promise<void> {
    await this.guard('export', 'exporting a model', async (signal) => {
      const how = await saveModel(this.lib, id, { signal, onProgress: (p) => { this.progress = p; } });
      if (how === 'cancelled') this.notice = 'Export cancelled.';
    });
  }

  async exportText(id: string, what: 'mergekit' | 'card'): Promise<void> {
    try {
      const m = await this.lib.require(id);
      const text = what === 'mergekit' ? await mergekitConfigFor(this.lib, id) : await modelCardFor(this.lib, id);
      downloadBlob(text, what === 'mergekit' ? 'mergekit_config.yml' : 'README.md');
      this.notice = `Downloaded ${what === 'mergekit' ? 'mergekit_config.yml' : 'README.md'} of "${m.name}".`;
    } catch (e) {
      this.fail(e, what === 'mergekit' ? 'writing mergekit_config.yml' : 'writing the model card');
    }
  }

  dismiss(): void {
    this.error = null;
  }

  private fail(e: unknown, where: string): void {
    this.error = e;
    this.errorSource = where;
  }

  /** One job at a time with its AbortController; a cancel is a notice, not an error. */
  private async guard(kind: string, where: string, fn: (signal: AbortSignal) => Promise<void>): Promise<void> {
    if (this.busy) return;
    const ac = new AbortController();
    this.abort = ac;
    this.busy = kind;
    this.error = null;
    this.progress = null;
    try {
      await fn(ac.signal);
    } catch (e) {
      if (e instanceof CancelledError || ac.signal.aborted) this.notice = `Cancelled ${where}; nothing was kept and the library is unchanged.`;
      else this.fail(e, where);
    } finally {
      this.abort = null;
      this.busy = null;
      this.progress = null;
    }
  }
}

let shared: LibrarySession | null = null;
/**
 * The page's one session: it outlives the Library view, so an import keeps running (and its progress
 * stays visible) when the user switches views and back; the orphan sweep runs once per page load.
 */
export function librarySession(): LibrarySession {
  if (!shared) {
    shared = new LibrarySession();
    void shared.start();
  }
  return shared;
}
