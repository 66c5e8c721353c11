/**
 * Every error that reaches the user: caught ones pushed by views, and uncaught ones from the global
 * `error` / `unhandledrejection` handlers, so a failure is always a readable message, never a blank page.
 */
export interface ErrorEntry { id: number; error: unknown; source: string }

export class ErrorLog {
  entries = $state.raw<ErrorEntry[]>([]);
  private next = 1;

  push(error: unknown, source = 'app'): void {
    // Cancelling is the user's own choice, not an error to report.
    if (error instanceof Error && error.name === 'CancelledError') return;
    this.entries = [...this.entries.slice(-4), { id: this.next++, error, source }];
  }
  dismiss(id: number): void {
    this.entries = this.entries.filter((e) => e.id !== id);
  }
}

/** Installs the global handlers once; returns a function that removes them. */
export function installGlobalHandlers(log: ErrorLog, target: Window = window): () => void {
  const onError = (e: ErrorEvent) => log.push(e.error ?? new Error(e.message), 'uncaught error');
  const onRejection = (e: PromiseRejectionEvent) => log.push(e.reason, 'unhandled promise rejection');
  target.addEventListener('error', onError);
  target.addEventListener('unhandledrejection', onRejection);
  return () => {
    target.removeEventListener('error', onError);
    target.removeEventListener('unhandledrejection', onRejection);
  };
}
