/**
 * Named errors of the model library. Each message says what happened and what the user can do;
 * `code` is what the UI switches on.
 */
import { KinmergeError } from '../core/errors';

/** The library's database could not be read or written (other than quota), or a model is missing. */
export class StoreError extends KinmergeError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'StoreError';
  }
}

/** The browser refused to store more bytes. `suggestions` lists models whose removal would free space. */
export class QuotaError extends KinmergeError {
  readonly suggestions: { id: string; name: string; bytes: number }[];
  constructor(message: string, suggestions: { id: string; name: string; bytes: number }[], options?: { cause?: unknown }) {
    super('quota-exceeded', message, options);
    this.name = 'QuotaError';
    this.suggestions = suggestions;
  }
}

/** An import that cannot go on: a download that broke off, a file that is not what it claims to be. */
export class ImportError extends KinmergeError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'ImportError';
  }
}

/** An HTTP request that failed: status, broken connection, a server that ignores Range. */
export class NetworkError extends KinmergeError {
  readonly status?: number;
  constructor(code: string, message: string, options?: { cause?: unknown; status?: number }) {
    super(code, message, options);
    this.name = 'NetworkError';
    this.status = options?.status;
  }
}

/** True for the DOMException (or look-alike from fake-indexeddb) that IndexedDB throws when out of quota. */
export function isQuotaExceeded(e: unknown): boolean {
  const name = (e as { name?: unknown } | null)?.name;
  if (name === 'QuotaExceededError') return true;
  // Firefox reports quota as an AbortError on the transaction whose `error` is the quota error.
  const inner = (e as { error?: { name?: unknown } } | null)?.error;
  return inner?.name === 'QuotaExceededError';
}

/** An export that cannot be written: no place to save, bad input to a format writer. */
export class ExportError extends KinmergeError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.name = 'ExportError';
  }
}
