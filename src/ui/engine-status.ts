/**
 * Which engine pieces this build contains. `import.meta.glob` on an exact path gives an empty map
 * when the file does not exist, so the shell builds and runs before the engine lands, shows
 * "not available yet" for those actions, and picks the pieces up as soon as their files exist.
 */
const engineClient = import.meta.glob('../engine/client.ts');
const registry = import.meta.glob('../core/merge/registry.ts');

export const HAS_ENGINE = Object.keys(engineClient).length > 0;

/** The merge methods of the registry, found by shape (an object with name, prettyName and parameters). */
export async function loadMethods(): Promise<import('../core/merge/types.ts').MergeMethod[] | null> {
  const load = Object.values(registry)[0];
  if (!load) return null;
  const mod = (await load()) as Record<string, unknown>;
  const isMethod = (v: unknown): v is import('../core/merge/types.ts').MergeMethod =>
    typeof v === 'object' && v !== null && 'prettyName' in v && 'parameters' in v && 'name' in v;
  for (const v of Object.values(mod)) {
    const list = Array.isArray(v) ? v : typeof v === 'object' && v !== null ? Object.values(v) : [];
    const methods = list.filter(isMethod);
    if (methods.length > 0) return methods;
  }
  return null;
}
