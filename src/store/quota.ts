/**
 * Storage quota: what the browser grants, asking for persistence, and QuotaExceededError turned into
 * a message that names the models whose removal would make room.
 */
import type { Library } from './library';
import { QuotaError, isQuotaExceeded } from './errors';

export interface StorageStatus {
  /** Bytes this origin uses / may use, when the browser says (undefined in Node). */
  usage?: number;
  quota?: number;
  /** Whether the browser promised not to evict our data under storage pressure. */
  persisted?: boolean;
}

type StorageManagerLike = {
  estimate?: () => Promise<{ usage?: number; quota?: number }>;
  persisted?: () => Promise<boolean>;
  persist?: () => Promise<boolean>;
};
const storage = (): StorageManagerLike | undefined => (globalThis.navigator as { storage?: StorageManagerLike } | undefined)?.storage;

export async function storageStatus(): Promise<StorageStatus> {
  const s = storage();
  const est = await s?.estimate?.().catch(() => undefined);
  const persisted = await s?.persisted?.().catch(() => undefined);
  return { usage: est?.usage, quota: est?.quota, persisted };
}

/** Asks the browser to keep our data under storage pressure; false when refused or unsupported. */
export async function requestPersist(): Promise<boolean> {
  return (await storage()?.persist?.().catch(() => false)) ?? false;
}

export const formatBytes = (n: number): string =>
  n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(2)} GiB` : n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`;

/**
 * The QuotaError for a failed write of `neededBytes` (0 when unknown), listing the largest models first
 * until together they would free that much. Call it after the failed import was cleaned up, so the
 * list describes the library as it now is.
 */
export async function quotaError(lib: Library, cause: unknown, what: string, neededBytes = 0): Promise<QuotaError> {
  const [{ models }, st] = await Promise.all([lib.usage().catch(() => ({ models: [] as { id: string; name: string; bytes: number }[] })), storageStatus()]);
  const bySize = [...models].sort((a, b) => b.bytes - a.bytes);
  const suggestions: typeof bySize = [];
  let freed = 0;
  for (const m of bySize) {
    if (suggestions.length >= 3 || (neededBytes > 0 && freed >= neededBytes)) break;
    suggestions.push(m);
    freed += m.bytes;
  }
  const room = st.quota !== undefined && st.usage !== undefined ? ` The browser allows ${formatBytes(st.quota)} and ${formatBytes(st.usage)} is in use.` : '';
  const need = neededBytes > 0 ? ` It needs ${formatBytes(neededBytes)}.` : '';
  const del = suggestions.length
    ? ` Delete a model to make room, e.g. ${suggestions.map((m) => `"${m.name}" (${formatBytes(m.bytes)})`).join(', ')}, then try again.`
    : ' The library is empty: free disk space or allow this site more storage, then try again.';
  return new QuotaError(`Not enough storage for ${what}; nothing was kept and the library is unchanged.${need}${room}${del}`, suggestions, { cause });
}

export { isQuotaExceeded };
