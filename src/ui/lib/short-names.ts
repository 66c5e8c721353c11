/**
 * Short labels for model names that may be file paths (kinship files written by the CLI name models
 * by path): the last path segment without `.safetensors`, with as many parent folders as it takes to
 * tell equal names apart. Names that are not paths come back unchanged. Full names stay in readouts.
 */
export function shortNames(names: readonly string[]): string[] {
  const parts = names.map((n) => n.replace(/[\\/]+$/, '').split(/[\\/]/).filter(Boolean));
  const depth = names.map(() => 1);
  const label = (i: number) => {
    const p = parts[i];
    if (p.length === 0) return names[i];
    const tail = p.slice(-depth[i]).join('/');
    return depth[i] === 1 ? tail.replace(/\.safetensors$/i, '') : tail;
  };
  for (let round = 0; round < 64; round++) {
    const seen = new Map<string, number[]>();
    names.forEach((_, i) => { const l = label(i); seen.set(l, [...(seen.get(l) ?? []), i]); });
    let grew = false;
    for (const group of seen.values()) {
      if (group.length < 2) continue;
      for (const i of group) if (depth[i] < parts[i].length) { depth[i]++; grew = true; }
    }
    if (!grew) break;
  }
  return names.map((_, i) => label(i));
}
