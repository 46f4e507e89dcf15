// Two policies of one kind, same target, same specificity, different values for one field (GM308).
import { canonicalJson } from '../core/canonical-json.js';
import { formatPath, type FieldPath } from '../core/diagnostics.js';
import type { Resource } from '../core/resource.js';

/** One `default` that merges into a target: its merge key, its path in the spec, the conf. */
interface MergeEntry {
  readonly section: string;
  readonly key: string;
  /** What the entry configures, for messages: `to MeshService/backend`. */
  readonly label: string;
  readonly path: FieldPath;
  readonly conf: unknown;
}

/** A conflict found: `loser`'s field is overridden by `winner`'s, by name order alone. */
export interface Conflict {
  readonly loser: Resource;
  readonly winner: Resource;
  readonly loserPath: FieldPath;
  readonly winnerPath: FieldPath;
  readonly field: string;
  readonly loserValue: string;
  readonly winnerValue: string;
}

/** Labels that change a policy's rank besides its targetRef (KUMA.md §3.3). */
const RANK_LABELS = ['kuma.io/origin', 'kuma.io/policy-role', 'kuma.io/effect'];

/**
 * Finds fields that two policies of the same kind, top-level target and rank set to different
 * values for the same destination or inbound. Kuma merges them by name order (the smaller name
 * wins), silently; this reports it. Pure; resources must be schema-valid.
 */
export function findConflicts(resources: readonly Resource[], sectionsOf: (kind: string) => readonly string[] | undefined = () => undefined): Conflict[] {
  const groups = new Map<string, Resource[]>();
  for (const resource of resources) {
    if (resource.kind === 'Mesh' || resource.kind === 'Dataplane') continue;
    const spec = resource.spec as { targetRef?: unknown };
    const rank = RANK_LABELS.map((l) => resource.labels[l] ?? '').join('|');
    const key = `${resource.kind}|${resource.mesh}|${rank}|${canonicalJson(spec.targetRef ?? { kind: 'Mesh' })}`;
    const group = groups.get(key);
    if (group) group.push(resource);
    else groups.set(key, [resource]);
  }
  const conflicts: Conflict[] = [];
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    // Lowest priority first, as Kuma sorts: names in inverted order, so the smallest name wins.
    const sorted = [...group].sort((a, b) => (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
    const sections = sectionsOf(group[0]!.kind);
    const leavesOf = sorted.map((r) => leaves(mergeEntries(r.spec).filter((e) => !sections || sections.includes(e.section))));
    for (let i = 0; i < sorted.length; i++) {
      for (let j = i + 1; j < sorted.length; j++) {
        for (const [leafKey, loserLeaf] of leavesOf[i]!) {
          const winnerLeaf = leavesOf[j]!.get(leafKey);
          if (!winnerLeaf || winnerLeaf.value === loserLeaf.value) continue;
          conflicts.push({ loser: sorted[i]!, winner: sorted[j]!, loserPath: loserLeaf.path, winnerPath: winnerLeaf.path, field: loserLeaf.field, loserValue: loserLeaf.value, winnerValue: winnerLeaf.value });
        }
      }
    }
  }
  return conflicts;
}

/** The `default`s of a spec with the key Kuma merges them under. */
function mergeEntries(spec: unknown): MergeEntry[] {
  const s = (spec ?? {}) as Record<string, unknown>;
  const entries: MergeEntry[] = [];
  if (s.default !== undefined) entries.push({ section: 'default', key: 'default', label: 'default', path: ['default'], conf: s.default });
  for (const section of ['to', 'from', 'rules'] as const) {
    const items = s[section];
    if (!Array.isArray(items)) continue;
    items.forEach((item: Record<string, unknown> | null, i) => {
      if (!item || typeof item !== 'object') return;
      const target = section === 'rules' ? canonicalJson(item.matches ?? []) : canonicalJson(item.targetRef ?? null);
      const label = section === 'rules' ? 'rules' : `${section} ${describeRef(item.targetRef)}`;
      if (item.default !== undefined) entries.push({ section, key: `${section}:${target}`, label, path: [section, i, 'default'], conf: item.default });
      // Route kinds: to[].rules[] merge by their matches (KUMA.md §3.3, MeshHTTPRoute mergeKey).
      if (Array.isArray(item.rules)) {
        item.rules.forEach((rule: Record<string, unknown> | null, k) => {
          if (rule?.default === undefined) return;
          entries.push({ section, key: `${section}:${target}:rules:${canonicalJson(rule.matches ?? [])}`, label: `${label}, rule matching ${canonicalJson(rule.matches ?? [])}`, path: [section, i, 'rules', k, 'default'], conf: rule.default });
        });
      }
    });
  }
  return entries;
}

/** Flattens confs to leaves (lists are leaves: a merge replaces them whole). */
function leaves(entries: readonly MergeEntry[]): Map<string, { path: FieldPath; field: string; value: string }> {
  const out = new Map<string, { path: FieldPath; field: string; value: string }>();
  const walk = (key: string, value: unknown, path: FieldPath, field: FieldPath) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) walk(key, v, [...path, k], [...field, k]);
      return;
    }
    out.set(`${key}|${field.join('.')}`, { path, field: `${formatPath(field)} (${label})`, value: canonicalJson(value) });
  };
  let label = '';
  for (const entry of entries) {
    label = entry.label;
    walk(entry.key, entry.conf, entry.path, []);
  }
  return out;
}

function describeRef(ref: unknown): string {
  const r = (ref ?? {}) as { kind?: string; name?: string; labels?: Record<string, string> };
  if (r.name) return `${r.kind}/${r.name}`;
  if (r.labels) return `${r.kind} with labels ${canonicalJson(r.labels)}`;
  return String(r.kind ?? 'Mesh');
}
