// Kuma's total order of policy entries, lowest priority first (KUMA.md §3.3, rules/sort).
import type { TargetRef } from './match.js';

/** Specificity of a top-level targetRef kind (Kuma 2.14 code order, not the docs table). */
const TOP_RANK: Readonly<Record<string, number>> = {
  Mesh: 1, Dataplane: 2, MeshSubset: 3, MeshGateway: 4, MeshService: 5,
  MeshExternalService: 6, MeshMultiZoneService: 7, MeshServiceSubset: 8, MeshHTTPRoute: 9,
};

/** Specificity of a `to[]` item's kind. */
const TO_RANK: Readonly<Record<string, number>> = {
  Mesh: 0, MeshService: 1, MeshExternalService: 3, MeshMultiZoneService: 4, MeshHTTPRoute: 5,
};

/** Specificity of a `from[]` item's kind. */
const FROM_RANK: Readonly<Record<string, number>> = { Mesh: 0, MeshSubset: 1, MeshService: 2, MeshServiceSubset: 3 };

const ORIGIN_RANK: Readonly<Record<string, number>> = { global: 0, zone: 2 };
const ROLE_RANK: Readonly<Record<string, number>> = { system: 0, producer: 1, consumer: 2, 'workload-owner': 3 };

/** What ranks a policy entry; `name` breaks ties, the smallest name winning. */
export interface RankedEntry {
  readonly top: TargetRef | undefined;
  readonly labels: Readonly<Record<string, string>>;
  readonly name: string;
  /** The `to[]` or `from[]` item's targetRef, when ranking items. */
  readonly item?: { readonly section: 'to' | 'from'; readonly ref: TargetRef };
}

function topKey(ref: TargetRef | undefined): [number, number] {
  const kind = ref?.kind ?? 'Mesh';
  const sub = kind === 'Dataplane' ? (ref?.name !== undefined ? 1 : 0) + (ref?.sectionName !== undefined ? 2 : 0) : 0;
  return [TOP_RANK[kind] ?? 0, sub];
}

function itemKey(item: RankedEntry['item']): number {
  if (!item) return 0;
  if (item.section === 'from') return FROM_RANK[item.ref.kind] ?? 0;
  const base = TO_RANK[item.ref.kind] ?? 0;
  return item.ref.kind === 'MeshService' && item.ref.sectionName !== undefined ? 2 : base;
}

/**
 * Orders entries lowest priority first, so that merging them in order lets the most specific
 * win: top-level kind, origin, role, item kind, then name in inverted order. Total and pure.
 */
export function compareRank(a: RankedEntry, b: RankedEntry): number {
  const [aTop, aSub] = topKey(a.top);
  const [bTop, bSub] = topKey(b.top);
  return (
    aTop - bTop ||
    aSub - bSub ||
    (ORIGIN_RANK[a.labels['kuma.io/origin'] ?? ''] ?? 1) - (ORIGIN_RANK[b.labels['kuma.io/origin'] ?? ''] ?? 1) ||
    (ROLE_RANK[a.labels['kuma.io/policy-role'] ?? 'system'] ?? 0) - (ROLE_RANK[b.labels['kuma.io/policy-role'] ?? 'system'] ?? 0) ||
    itemKey(a.item) - itemKey(b.item) ||
    (a.name < b.name ? 1 : a.name > b.name ? -1 : 0)
  );
}
