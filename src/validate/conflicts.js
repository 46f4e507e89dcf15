// Two policies of one kind, same target, same specificity, different values for one field (GM308).
import { canonicalJson } from '../core/canonical-json.js';
import { formatPath } from '../core/diagnostics.js';
/** Labels that change a policy's rank besides its targetRef (KUMA.md §3.3). */
const RANK_LABELS = ['kuma.io/origin', 'kuma.io/policy-role', 'kuma.io/effect'];
/**
 * Finds fields that two policies of the same kind, top-level target and rank set to different
 * values for the same destination or inbound. Kuma merges them by name order (the smaller name
 * wins), silently; this reports it. Pure; resources must be schema-valid.
 */
export function findConflicts(resources, sectionsOf = () => undefined) {
    const groups = new Map();
    for (const resource of resources) {
        if (resource.kind === 'Mesh' || resource.kind === 'Dataplane')
            continue;
        const spec = resource.spec;
        const rank = RANK_LABELS.map((l) => resource.labels[l] ?? '').join('|');
        const key = `${resource.kind}|${resource.mesh}|${rank}|${canonicalJson(spec.targetRef ?? { kind: 'Mesh' })}`;
        const group = groups.get(key);
        if (group)
            group.push(resource);
        else
            groups.set(key, [resource]);
    }
    const conflicts = [];
    for (const group of groups.values()) {
        if (group.length < 2)
            continue;
        // Lowest priority first, as Kuma sorts: names in inverted order, so the smallest name wins.
        const sorted = [...group].sort((a, b) => (a.name < b.name ? 1 : a.name > b.name ? -1 : 0));
        const sections = sectionsOf(group[0].kind);
        const leavesOf = sorted.map((r) => leaves(mergeEntries(r.spec).filter((e) => !sections || sections.includes(e.section))));
        for (let i = 0; i < sorted.length; i++) {
            for (let j = i + 1; j < sorted.length; j++) {
                for (const [leafKey, loserLeaf] of leavesOf[i]) {
                    const winnerLeaf = leavesOf[j].get(leafKey);
                    if (!winnerLeaf || winnerLeaf.value === loserLeaf.value)
                        continue;
                    conflicts.push({ loser: sorted[i], winner: sorted[j], loserPath: loserLeaf.path, winnerPath: winnerLeaf.path, field: loserLeaf.field, loserValue: loserLeaf.value, winnerValue: winnerLeaf.value });
                }
            }
        }
    }
    return conflicts;
}
/** The `default`s of a spec with the key Kuma merges them under. */
function mergeEntries(spec) {
    const s = (spec ?? {});
    const entries = [];
    if (s.default !== undefined)
        entries.push({ section: 'default', key: 'default', label: 'default', path: ['default'], conf: s.default });
    for (const section of ['to', 'from', 'rules']) {
        const items = s[section];
        if (!Array.isArray(items))
            continue;
        items.forEach((item, i) => {
            if (!item || typeof item !== 'object')
                return;
            const target = section === 'rules' ? canonicalJson(item.matches ?? []) : canonicalJson(item.targetRef ?? null);
            const label = section === 'rules' ? 'rules' : `${section} ${describeRef(item.targetRef)}`;
            if (item.default !== undefined)
                entries.push({ section, key: `${section}:${target}`, label, path: [section, i, 'default'], conf: item.default });
            // Route kinds: to[].rules[] merge by their matches (KUMA.md §3.3, MeshHTTPRoute mergeKey).
            if (Array.isArray(item.rules)) {
                item.rules.forEach((rule, k) => {
                    if (rule?.default === undefined)
                        return;
                    entries.push({ section, key: `${section}:${target}:rules:${canonicalJson(rule.matches ?? [])}`, label: `${label}, rule matching ${canonicalJson(rule.matches ?? [])}`, path: [section, i, 'rules', k, 'default'], conf: rule.default });
                });
            }
        });
    }
    return entries;
}
/** Flattens confs to leaves (lists are leaves: a merge replaces them whole). */
function leaves(entries) {
    const out = new Map();
    const walk = (key, value, path, field) => {
        if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
            for (const [k, v] of Object.entries(value))
                walk(key, v, [...path, k], [...field, k]);
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
function describeRef(ref) {
    const r = (ref ?? {});
    if (r.name)
        return `${r.kind}/${r.name}`;
    if (r.labels)
        return `${r.kind} with labels ${canonicalJson(r.labels)}`;
    return String(r.kind ?? 'Mesh');
}
