/** A readable title, message and next step for anything thrown. */
export interface Described { title: string; message: string; todo: string; code: string | null; stack: string | null }

const TODO: Record<string, string> = {
  'share-oversized': 'Ask whoever sent the link for a smaller one, or export the run as a file.',
  'share-malformed': 'Copy the whole link again; chat apps sometimes cut long links.',
  'share-version': 'Open the link with the kinmerge release that made it.',
  'share-invalid': 'Ask for a fresh link.',
  'record-file': 'Open a file exported by kinmerge.',
  cancelled: 'Nothing to do: the operation was cancelled.',
};

export function describeError(e: unknown): Described {
  if (e instanceof Error) {
    const raw = (e as Error & { code?: unknown }).code;
    const code = typeof raw === 'string' ? raw : null;
    const named = e.name !== 'Error' && e.name !== 'TypeError' && e.name !== 'RangeError' && e.name !== 'ReferenceError';
    return {
      title: named ? e.name.replace(/Error$/, ' error').replace(/([a-z])([A-Z])/g, '$1 $2') : 'Unexpected error',
      message: e.message || String(e),
      todo: (code && TODO[code]) ?? (named ? 'Follow the advice in the message above.' : 'This is probably a bug in kinmerge. Reload the page; if it happens again, report it with the details below.'),
      code,
      stack: e.stack ?? null,
    };
  }
  return { title: 'Unexpected error', message: typeof e === 'string' ? e : JSON.stringify(e) ?? String(e), todo: 'Reload the page; if it happens again, report it.', code: null, stack: null };
}
