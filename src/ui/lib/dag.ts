/**
 * Layout of a merge genealogy: one column per generation, rows ordered to reduce edge crossings by
 * the barycentre of the parents' rows (one sweep of the Sugiyama heuristic; the DAGs here are small).
 * Deterministic: ties break by id, so the same record always draws the same tree.
 */
import { KinmergeError } from '../../core/errors.ts';

export interface DagInput { id: string; parents: string[]; generation?: number }
export interface PlacedNode { id: string; layer: number; row: number; x: number; y: number }
export interface PlacedEdge { from: string; to: string; x1: number; y1: number; x2: number; y2: number }
export interface DagLayout { nodes: PlacedNode[]; edges: PlacedEdge[]; width: number; height: number; layers: number }

export interface LayoutOptions { dx?: number; dy?: number; margin?: number }

/** Layer of each node: its generation when given, else 1 + the deepest parent (roots at 0). */
export function assignLayers(nodes: DagInput[]): Map<string, number> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const layer = new Map<string, number>();
  const visiting = new Set<string>();
  const visit = (id: string): number => {
    const known = layer.get(id);
    if (known !== undefined) return known;
    const n = byId.get(id)!;
    if (visiting.has(id)) throw new KinmergeError('lineage-cycle', `The lineage has a cycle through "${id}": a model cannot be its own ancestor. The record is damaged; re-export it.`);
    visiting.add(id);
    let l = 0;
    if (n.generation !== undefined && Number.isFinite(n.generation)) l = n.generation;
    else for (const p of n.parents) if (byId.has(p)) l = Math.max(l, visit(p) + 1);
    visiting.delete(id);
    layer.set(id, l);
    return l;
  };
  for (const n of nodes) visit(n.id);
  return layer;
}

export function layoutDag(nodes: DagInput[], opts: LayoutOptions = {}): DagLayout {
  const dx = opts.dx ?? 120, dy = opts.dy ?? 44, margin = opts.margin ?? 30;
  const layerOf = assignLayers(nodes);
  const layerIds = [...new Set(layerOf.values())].sort((a, b) => a - b);
  const columns = layerIds.map((l) => nodes.filter((n) => layerOf.get(n.id) === l));
  const row = new Map<string, number>();
  for (const col of columns) {
    const key = (n: DagInput) => {
      const rs = n.parents.map((p) => row.get(p)).filter((r): r is number => r !== undefined);
      return rs.length ? rs.reduce((a, b) => a + b, 0) / rs.length : Infinity;
    };
    const sorted = [...col].sort((a, b) => {
      const ka = key(a), kb = key(b);
      if (ka !== kb) return ka === Infinity ? 1 : kb === Infinity ? -1 : ka - kb;
      return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
    });
    sorted.forEach((n, i) => row.set(n.id, i));
  }
  const maxRows = Math.max(1, ...columns.map((c) => c.length));
  const placed = new Map<string, PlacedNode>();
  columns.forEach((col, ci) => {
    // Centre short columns vertically so a generation of one sits in the middle.
    const offset = ((maxRows - col.length) * dy) / 2;
    for (const n of col) {
      const r = row.get(n.id)!;
      placed.set(n.id, { id: n.id, layer: layerIds[ci], row: r, x: margin + ci * dx, y: margin + offset + r * dy });
    }
  });
  const edges: PlacedEdge[] = [];
  for (const n of nodes) {
    const to = placed.get(n.id)!;
    for (const p of n.parents) {
      const from = placed.get(p);
      if (from) edges.push({ from: p, to: n.id, x1: from.x, y1: from.y, x2: to.x, y2: to.y });
    }
  }
  return {
    nodes: nodes.map((n) => placed.get(n.id)!),
    edges,
    width: margin * 2 + Math.max(0, columns.length - 1) * dx,
    height: margin * 2 + Math.max(0, maxRows - 1) * dy,
    layers: columns.length,
  };
}
