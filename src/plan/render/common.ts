// What the plan renderers share: labels, counts, value formatting, and grouping of proxies with the same change. Pure.
import { canonicalJson } from '../../core/canonical-json.js';
import type { ChangeCounts, FieldChange, Plan, PlanRevision, ProxyChange, ResourceChange, XdsChange } from '../plan.js';
import { XDS_KEYS } from '../plan.js';

/** Hex digits of a commit id shown to people (as `snapshot` and `inspect` print them). */
export const SHORT_COMMIT = 12;

/** The marker of each change in text and diff blocks. */
export const MARK = { added: '+', changed: '~', removed: '-' } as const;

/** `1 proxy`, `2 proxies`. */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

/** `MeshHTTPRoute default/orders-canary`; a Mesh is just `Mesh default`. */
export function resourceLabel(r: Pick<ResourceChange, 'kind' | 'mesh' | 'name'>): string {
  return r.kind === 'Mesh' ? `Mesh ${r.name}` : `${r.kind} ${r.mesh}/${r.name}`;
}

/** `routes/outbound:orders`. */
export function xdsLabel(x: Pick<XdsChange, 'type' | 'name'>): string {
  return `${x.type}/${x.name}`;
}

/** A JSON value on one line, cut to `max` characters with `…` (the JSON format carries it whole). */
export function formatValue(value: unknown, max: number): string {
  const text = JSON.stringify(value) ?? 'undefined';
  return text.length <= max ? text : `${text.slice(0, Math.max(1, max - 1))}…`;
}

/** A field path as shown; the root of the compared value is `(root)`. */
export function shownPath(path: string): string {
  return path === '' ? '(root)' : path;
}

/** `~ path: 90 → 80`, `+ path: value`, `- path: value`. */
export function fieldLine(field: FieldChange, max: number): string {
  const path = shownPath(field.path);
  if (field.change === 'added') return `+ ${path}: ${formatValue(field.after, max)}`;
  if (field.change === 'removed') return `- ${path}: ${formatValue(field.before, max)}`;
  return `~ ${path}: ${formatValue(field.before, max)} → ${formatValue(field.after, max)}`;
}

/** `3 added, 1 changed` (only the non-zero counts, in that order), or `no change`. */
export function countsText(counts: ChangeCounts): string {
  const parts = (['added', 'changed', 'removed'] as const).filter((k) => counts[k] > 0).map((k) => `${counts[k]} ${k}`);
  return parts.length > 0 ? parts.join(', ') : 'no change';
}

/** What changes on one proxy, per xDS type: `clusters: 1 added; routes: 1 changed`. */
export function proxySummary(proxy: ProxyChange): string {
  const parts: string[] = [];
  for (const type of XDS_KEYS) {
    const list = proxy.xds.filter((x) => x.type === type);
    if (list.length === 0) continue;
    const counts = { added: 0, changed: 0, removed: 0 };
    for (const x of list) counts[x.change]++;
    parts.push(`${type}: ${countsText(counts)}`);
  }
  if (proxy.baseFlavour !== undefined) parts.unshift(`flavour ${proxy.baseFlavour ?? 'none'} → ${proxy.flavour ?? 'none'}`);
  return parts.length > 0 ? parts.join('; ') : 'no xDS resources';
}

/** Proxies whose change is the same (replicas of one service, mostly), listed once; in the order of their first id. */
export interface ProxyGroup {
  readonly ids: readonly string[];
  /** The change of the first proxy; every other one is identical but for its id and versions. */
  readonly proxy: ProxyChange;
}

/** Groups proxies whose change, flavours and xDS changes are identical (their versions then are too). */
export function groupProxies(proxies: readonly ProxyChange[]): ProxyGroup[] {
  const groups = new Map<string, { ids: string[]; proxy: ProxyChange }>();
  for (const proxy of proxies) {
    const key = canonicalJson({ change: proxy.change, flavour: proxy.flavour, baseFlavour: proxy.baseFlavour ?? false, xds: proxy.xds });
    const group = groups.get(key);
    if (group) group.ids.push(proxy.id);
    else groups.set(key, { ids: [proxy.id], proxy });
  }
  return [...groups.values()];
}

/** How an identifier (commit, ref, URL) is written: as is in text, as a code span in Markdown. */
export type Literal = (text: string) => string;

/** `3f2a1b4c5d6e (feature)`, `feature`, `the working folder`. */
export function revisionText(revision: PlanRevision, literal: Literal = (t) => t): string {
  const commit = revision.commit?.slice(0, SHORT_COMMIT);
  if (commit && revision.ref && !revision.commit!.startsWith(revision.ref)) return `${literal(commit)} (${literal(revision.ref)})`;
  if (commit) return literal(commit);
  return revision.ref ? literal(revision.ref) : 'the working folder';
}

/** `base 9a8b7c6d5e4f (main)` or `live http://host:5680 (commit 9a8b7c6d5e4f)`. */
export function baseText(plan: Plan, literal: Literal = (t) => t): string {
  if (plan.base.live === null) return `base ${revisionText(plan.base, literal)}`;
  const commit = plan.base.commit ? ` (commit ${literal(plan.base.commit.slice(0, SHORT_COMMIT))})` : '';
  return `live ${literal(plan.base.live)}${commit}`;
}

/** `1 resource removed`, `6 proxies (5 changed, 1 removed)`, `no proxy changes`. */
export function changePhrase(counts: ChangeCounts, noun: string, nouns = `${noun}s`): string {
  const total = counts.added + counts.changed + counts.removed;
  if (total === 0) return `no ${noun} changes`;
  const only = (['added', 'changed', 'removed'] as const).filter((k) => counts[k] > 0);
  return only.length === 1 ? `${plural(total, noun, nouns)} ${only[0]}` : `${plural(total, noun, nouns)} (${countsText(counts)})`;
}

/** The last line: `Plan: 1 resource changed; 2 proxies changed, 12 unchanged; 2 xDS resources changed.` */
export function totalsLine(plan: Plan): string {
  const { resources, proxies, xds } = plan.totals;
  const parts = [resources ? changePhrase(resources, 'resource') : 'resources not compared', `${changePhrase(proxies, 'proxy', 'proxies')}, ${proxies.unchanged} unchanged`];
  if (xds.added + xds.changed + xds.removed > 0) parts.push(changePhrase(xds, 'xDS resource'));
  return `Plan: ${parts.join('; ')}.`;
}

/** `1 added, 43 unchanged`, or `43 unchanged` when nothing changes. */
export function headingCounts(counts: ChangeCounts & { readonly unchanged: number }): string {
  const changes = counts.added + counts.changed + counts.removed > 0 ? `${countsText(counts)}, ` : '';
  return `${changes}${counts.unchanged} unchanged`;
}

/** The line of a plan that changes nothing: `No changes: 43 resources and 14 proxies unchanged.` */
export function noChangeLine(plan: Plan): string {
  const resources = plan.totals.resources ? `${plural(plan.totals.resources.unchanged, 'resource')} and ` : '';
  return `No changes: ${resources}${plural(plan.totals.proxies.unchanged, 'proxy', 'proxies')} unchanged.`;
}
