/**
 * Latest wins (svelte.dev Compiler.ts): while a slider drags, many requests start but only the newest
 * result matters. Each call aborts the previous one's signal, and a superseded call resolves to the
 * newest call's result instead of its own, so callers never render a stale value.
 */
export function latestWins<A extends unknown[], R>(fn: (signal: AbortSignal, ...args: A) => Promise<R>): (...args: A) => Promise<R> {
  let current: { controller: AbortController; promise: Promise<R> } | null = null;
  return (...args: A) => {
    current?.controller.abort();
    const controller = new AbortController();
    const promise = fn(controller.signal, ...args);
    const mine = { controller, promise };
    current = mine;
    const settle = async (): Promise<R> => {
      try {
        const r = await promise;
        if (current === mine) return r;
      } catch (e) {
        if (current === mine) throw e;
      }
      // Superseded: follow the newest call (which may itself be superseded again).
      return settleLatest();
    };
    const settleLatest = (): Promise<R> => {
      const c = current!;
      return c.promise.then((r) => (current === c ? r : settleLatest()), (e) => { if (current === c) throw e; return settleLatest(); });
    };
    return settle();
  };
}
