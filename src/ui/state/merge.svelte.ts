import type { MergeMethod } from '../../core/merge/types.ts';
import { METHODS } from '../../core/merge/registry.ts';
import type { ParamValue } from '../../core/merge/params.ts';
import type { ShareRecipe } from '../share/schema.ts';

/** The paper's SLERP gradients (issue 6): attention one way, MLP the other, 0.5 elsewhere. */
export const PAPER_SLERP_T: ParamValue = [
  { filter: 'self_attn', value: [0, 0.5, 0.3, 0.7, 1] },
  { filter: 'mlp', value: [1, 0.5, 0.7, 0.3, 0] },
  { value: 0.5 },
];

/** Merge bench: the chosen method and its parameters (small, editable) and the registry (loaded once). */
export class MergeSession {
  readonly methods: readonly MergeMethod[] = METHODS;
  method = $state('slerp');
  params = $state<Record<string, ParamValue>>({ t: PAPER_SLERP_T });
  parents = $state<string[]>([]);

  spec(): MergeMethod | undefined {
    return this.methods?.find((m) => m.name === this.method);
  }
  choose(name: string): void {
    this.method = name;
    const m = this.spec();
    const next: Record<string, ParamValue> = {};
    for (const p of m?.parameters ?? []) if (p.default !== undefined) next[p.name] = p.default;
    if (name === 'slerp') next.t = PAPER_SLERP_T;
    this.params = next;
  }
  recipe(): ShareRecipe {
    return { method: this.method, params: JSON.parse(JSON.stringify(this.params)) };
  }
  apply(r: ShareRecipe | null): void {
    if (!r) return;
    this.method = r.method;
    this.params = r.params as Record<string, ParamValue>;
  }
}
