// resolve: policies + proxy → ResolvedProxy, the per-proxy IR that `inspect` prints.
import type { Kind, Resource } from '../core/resource.js';
import type { InboundView, OutboundView, PolicyOrigin, ProxyView, ResolvedConf, ResolvedInboundRule, ResolvedProxy } from '../policies/model.js';
import { coversClients, coversOutbound, describeTargetRef, selectProxy, type ClientSelector, type TargetRef } from '../policies/target-ref/match.js';
export type { PolicyOrigin, ResolvedConf, ResolvedInbound, ResolvedInboundRule, ResolvedOutbound, ResolvedProxy } from '../policies/model.js';
import { mergeConf } from '../policies/target-ref/merge.js';
import { compareRank, type RankedEntry } from '../policies/target-ref/rank.js';
import type { PolicyModule } from '../policies/types.js';
import { canonicalJson } from '../core/canonical-json.js';
import type { MeshContext } from './mesh-context.js';

interface PolicySpec {
  readonly targetRef?: TargetRef;
  readonly to?: readonly (Record<string, unknown> & { targetRef: TargetRef })[];
  readonly from?: readonly { targetRef: TargetRef; default: unknown }[];
  readonly rules?: readonly { matches?: unknown; default: unknown }[];
}

interface Entry extends RankedEntry {
  readonly origin: PolicyOrigin;
  readonly conf: unknown;
  readonly clients: ClientSelector;
  readonly matches?: unknown;
}

/** Resolves the policies of one proxy for any inbound or outbound view (including outbounds it only reaches through a route). */
export interface Resolver {
  readonly inbound: (view: InboundView) => Partial<Record<Kind, ResolvedInboundRule[]>>;
  readonly outbound: (view: OutboundView) => Partial<Record<Kind, ResolvedConf>>;
  /**
   * Which policies reach this proxy's outbounds: equal keys mean equal outbound resolution for
   * equal outbound views, so replicas of one service share it (and what is built from it).
   */
  readonly outboundKey: string;
  /**
   * Route-level confs: `to[]` entries that target a MeshHTTPRoute, by route name and kind,
   * merged as outbound entries are. They apply to the routes that route contributes.
   */
  readonly routeLevel: Readonly<Record<string, Partial<Record<Kind, ResolvedConf>>>>;
}

/** Per-commit shared state of resolution: a policy index per kind and resolved outbounds by key. */
export interface ResolveMemo {
  readonly candidates: (module: PolicyModule, proxy: ProxyView) => readonly Resource[];
  readonly outbounds: Map<string, Partial<Record<Kind, ResolvedConf>>>;
}

/**
 * Indexes each kind's policies by what their top-level targetRef can match (a Dataplane name,
 * one label pair, a service), so selecting a proxy's policies checks a handful instead of all.
 * The candidates keep the policies' name order; selectProxy still decides each one.
 */
export function createResolveMemo(ctx: MeshContext, modules: readonly PolicyModule[]): ResolveMemo {
  const indexes = new Map<PolicyModule, { always: number[]; by: Map<string, number[]>; policies: readonly Resource[] }>();
  for (const module of modules) {
    const policies = ctx.policies.get(module.kind) ?? [];
    const always: number[] = [];
    const by = new Map<string, number[]>();
    const add = (key: string, i: number) => (by.get(key) ?? by.set(key, []).get(key)!).push(i);
    policies.forEach((policy, i) => {
      const ref = (policy.spec as PolicySpec).targetRef;
      const labels = Object.entries(ref?.labels ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
      if (ref?.kind === 'Dataplane' && ref.name !== undefined) add(`name\u0000${ref.namespace ? `${ref.name}.${ref.namespace}` : ref.name}`, i);
      else if (ref?.kind === 'Dataplane' && labels.length > 0) add(`label\u0000${labels[0]![0]}\u0000${labels[0]![1]}`, i);
      else if ((ref?.kind === 'MeshService' || ref?.kind === 'MeshServiceSubset') && ref.name !== undefined) add(`service\u0000${ref.name}`, i);
      else always.push(i);
    });
    indexes.set(module, { always, by, policies });
  }
  return {
    candidates(module, proxy) {
      const index = indexes.get(module);
      if (!index) return ctx.policies.get(module.kind) ?? [];
      const keys = [
        `name\u0000${proxy.name}`,
        ...Object.entries(proxy.labels).map(([k, v]) => `label\u0000${k}\u0000${v}`),
        ...proxy.inbounds.map((i) => `service\u0000${i.service}`),
      ];
      const picked = new Set(index.always);
      for (const key of keys) for (const i of index.by.get(key) ?? []) picked.add(i);
      return [...picked].sort((a, b) => a - b).map((i) => index.policies[i]!);
    },
    outbounds: new Map(),
  };
}

/** Selects, once per proxy, the policies of every kind whose top-level targetRef matches it. Pure. */
export function createResolver(ctx: MeshContext, proxy: ProxyView, modules: readonly PolicyModule[], memo: ResolveMemo = createResolveMemo(ctx, modules)): Resolver {
  const selectedByModule = modules.map((module) => ({
    module,
    selected: memo.candidates(module, proxy).flatMap((policy) => {
      const spec = policy.spec as PolicySpec;
      // A top-level MeshHTTPRoute (deprecated in Kuma 2.x) configures that route's traffic wherever the route applies.
      const selection = spec.targetRef?.kind === 'MeshHTTPRoute' ? { inbounds: [], outbounds: true } : selectProxy(spec.targetRef, proxy);
      return selection ? [{ policy, spec, selection }] : [];
    }),
  }));
  const topRoute = (spec: PolicySpec) => (spec.targetRef?.kind === 'MeshHTTPRoute' ? spec.targetRef.name : undefined);
  const outboundKey = selectedByModule
    .map(({ module, selected }) => `${module.kind}:${selected.filter((s) => s.selection.outbounds && s.spec.to).map((s) => s.policy.name).join(',')}`)
    .join('|');
  const merged = (module: PolicyModule, entries: Entry[]): ResolvedConf => {
    entries.sort(compareRank);
    const confs = entries.map((e) => e.conf);
    return { conf: module.mergeOutbound ? module.mergeOutbound(confs) : confs.reduce<unknown>(mergeConf, undefined), origins: entries.map((e) => e.origin) };
  };
  const routeLevel: Record<string, Partial<Record<Kind, ResolvedConf>>> = {};
  for (const { module, selected } of selectedByModule) {
    const byRoute = new Map<string, Entry[]>();
    for (const { policy, spec, selection } of selected) {
      if (!selection.outbounds) continue;
      spec.to?.forEach((item, i) => {
        const route = topRoute(spec) ?? (item.targetRef.kind === 'MeshHTTPRoute' ? item.targetRef.name : undefined);
        if (route === undefined) return;
        const list = byRoute.get(route) ?? byRoute.set(route, []).get(route)!;
        list.push(entry(policy, spec, `to[${i}]`, item.default, { kind: 'Mesh' }, { section: 'to', ref: item.targetRef }));
      });
    }
    for (const [route, entries] of [...byRoute].sort(([a], [b]) => (a < b ? -1 : 1))) (routeLevel[route] ??= {})[module.kind] = merged(module, entries);
  }
  return {
    outboundKey,
    routeLevel,
    inbound(view) {
      const result: Partial<Record<Kind, ResolvedInboundRule[]>> = {};
      for (const { module, selected } of selectedByModule) {
        const entries: Entry[] = [];
        for (const { policy, spec, selection } of selected) {
          if (!selection.inbounds.includes(view)) continue;
          spec.from?.forEach((item, i) => entries.push(entry(policy, spec, `from[${i}]`, item.default, clientsOf(item.targetRef), { section: 'from', ref: item.targetRef })));
          spec.rules?.forEach((rule, i) =>
            entries.push({ ...entry(policy, spec, `rules[${i}]`, rule.default, { kind: 'Mesh' }, undefined), ...(rule.matches !== undefined && { matches: rule.matches }) }),
          );
        }
        if (entries.length > 0) result[module.kind] = inboundRules(entries, module);
      }
      return result;
    },
    outbound(view) {
      const key = `${outboundKey}#${view.service}|${view.address}|${view.port}|${view.protocol}`;
      const known = memo.outbounds.get(key);
      if (known) return known;
      const result: Partial<Record<Kind, ResolvedConf>> = {};
      for (const { module, selected } of selectedByModule) {
        const entries: Entry[] = [];
        for (const { policy, spec, selection } of selected) {
          if (!selection.outbounds || topRoute(spec) !== undefined) continue;
          spec.to?.forEach((item, i) => {
            if (!coversOutbound(item.targetRef, view)) return;
            const at = entry(policy, spec, `to[${i}]`, undefined, { kind: 'Mesh' }, { section: 'to', ref: item.targetRef });
            entries.push({ ...at, conf: module.outboundConf ? module.outboundConf(item, at.origin) : item.default });
          });
        }
        if (entries.length > 0) result[module.kind] = merged(module, entries);
      }
      memo.outbounds.set(key, result);
      return result;
    },
  };
}

/**
 * Resolves every registered policy kind for one proxy (KUMA.md §3.3: select, sort, merge).
 * Pure and deterministic: depends only on its inputs, never on their order.
 */
export function resolveProxy(ctx: MeshContext, proxy: ProxyView, modules: readonly PolicyModule[], resolver = createResolver(ctx, proxy, modules)): ResolvedProxy {
  return {
    proxy,
    inbounds: proxy.inbounds.map((view) => ({ inbound: view, policies: resolver.inbound(view) })),
    outbounds: proxy.outbounds.map((view) => ({ outbound: view, policies: resolver.outbound(view) })),
    ...(Object.keys(resolver.routeLevel).length > 0 && { routeLevel: resolver.routeLevel }),
  };
}

function entry(policy: Resource, spec: PolicySpec, at: string, conf: unknown, clients: ClientSelector, item: RankedEntry['item']): Entry {
  return {
    top: spec.targetRef,
    labels: policy.labels,
    name: policy.name,
    ...(item && { item }),
    origin: {
      kind: policy.kind,
      name: policy.name,
      file: policy.origin.file,
      entry: at,
      matched: `${describeTargetRef(spec.targetRef)}${item ? ` → ${item.section} ${describeTargetRef(item.ref)}` : ''}`,
    },
    conf,
    clients,
  };
}

function clientsOf(ref: TargetRef): ClientSelector {
  const kind = ref.kind === 'MeshSubset' || ref.kind === 'MeshService' || ref.kind === 'MeshServiceSubset' ? ref.kind : 'Mesh';
  return { kind, ...(ref.name !== undefined && kind !== 'Mesh' && { name: ref.name }), ...(ref.tags !== undefined && kind !== 'Mesh' && { tags: ref.tags }) };
}

const CLIENT_RANK: Readonly<Record<ClientSelector['kind'], number>> = { Mesh: 0, MeshSubset: 1, MeshService: 2, MeshServiceSubset: 3 };

/**
 * The inbound rules of one kind: for each distinct client selector (most specific first), the
 * merge of every entry whose clients cover it, in rank order (MADR 005's rule view, with
 * selectors taken as they are written). Rules conditioned on `matches` stay separate.
 */
function inboundRules(entries: Entry[], module: PolicyModule): ResolvedInboundRule[] {
  entries.sort(compareRank);
  const plain = entries.filter((e) => e.matches === undefined);
  const selectors = new Map<string, ClientSelector>();
  for (const e of plain) selectors.set(canonicalJson(e.clients), e.clients);
  const ordered = [...selectors.entries()]
    .sort(([ak, a], [bk, b]) => CLIENT_RANK[b.kind] - CLIENT_RANK[a.kind] || (ak < bk ? -1 : ak > bk ? 1 : 0))
    .map(([, s]) => s);
  const rules: ResolvedInboundRule[] = entries
    .filter((e) => e.matches !== undefined)
    .map((e) => ({ clients: e.clients, matches: e.matches, conf: e.conf, origins: [e.origin] }));
  for (const clients of ordered) {
    const covering = plain.filter((e) => coversClients(e.clients, clients));
    const confs = covering.map((e) => e.conf);
    rules.push({ clients, conf: module.mergeInbound ? module.mergeInbound(confs) : confs.reduce<unknown>(mergeConf, undefined), origins: covering.map((e) => e.origin) });
  }
  return rules;
}
