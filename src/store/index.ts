/** The model library's public surface (UI and engine import from here). */
export { Library, type LibraryOptions, type StorageUse, type SweepResult } from './library';
export { idbStore, DEFAULT_DB, DEFAULT_OBJECT_STORE, type KeyValueStore } from './kv';
export { MAX_CHUNK_BYTES, type ModelManifest, type ModelSource, type StoredFile, type ParentRef, type TensorIndex } from './manifest';
export { ChunkByteSource } from './chunk-source';
export { openLibraryModel } from './open';
export { importFiles, importFromUrl, importFromHub, filesFromDataTransfer, selectModelFiles, type NamedBlob, type ImportOptions, type UrlImportOptions, type HubImportOptions } from './import';
export { importFromSink, type ModelSink, type ModelSinkOptions } from './sink';
export { preflightUrl, preflightHub, preflightFiles, preflightLibrary, BlobByteSource, type PreflightReport } from './preflight';
export { compareModels, type CompatibilityReport, type PairDiff } from './compat';
export { storageStatus, requestPersist, quotaError, formatBytes, type StorageStatus } from './quota';
export {
  exportSafetensors, exportShards, exportMetadata, blobSink, fileHandleSink, saveModel, downloadBlob, hubRefOf,
  mergekitConfigFor, modelCardFor, lineageFor, META,
} from './export';
export { mergekitConfigYaml, modelCard, kinshipCsv, lineageYaml, mapRecipeRefs, parentsOf, type LineageNode, type CardInput } from './export-formats';
export { parseHubRef, hubFileUrl, HttpByteSource, HF_BASE_URL } from './http';
export { StoreError, QuotaError, ImportError, NetworkError, ExportError, isQuotaExceeded } from './errors';
