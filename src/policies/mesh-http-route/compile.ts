// MeshHTTPRoute → xDS: the merged, sorted rules of an outbound as Envoy routes with their backends.
import { createHash } from 'node:crypto';
import { canonicalJson } from '../../core/canonical-json.js';
import type { XdsMessage } from '../../core/xds-json.js';
import type {
  BackendRef,
  MeshHTTPRouteConf,
  MeshHTTPRouteFilter,
  MeshHTTPRouteHeaderMatch,
  MeshHTTPRouteHeaderModifier,
  MeshHTTPRouteMatch,
  MeshHTTPRoutePathRewrite,
  MeshHTTPRouteRequestMirror,
  MeshHTTPRouteRequestRedirect,
  MeshHTTPRouteRule,
  MeshHTTPRouteURLRewrite,
  Percentage,
} from '../../generated/mesh-http-route.js';
import { backendCluster } from '../backends.js';
import { mergeConf } from '../target-ref/merge.js';
import type { Backend, OutboundContext, XdsHooks } from '../types.js';

/**
 * The conf of MeshHTTPRoute on one outbound (the IR): its rules, one per match, in the order
 * Envoy evaluates them. `hostnames` only ever applies to builtin gateways.
 */
export interface HTTPRouteConf {
  readonly rules: readonly SourcedRule[];
  readonly hostnames?: readonly string[];
}

/** A rule and the MeshHTTPRoutes it came from (route-level policies follow them). */
export type SourcedRule = MeshHTTPRouteRule & { readonly sources?: readonly string[] };

/** What one `to[]` item contributes to an outbound: its rules (and gateway hostnames), not a `default`. */
export function httpRouteOutboundConf(item: Readonly<Record<string, unknown>>, origin?: { readonly name: string }): HTTPRouteConf {
  const hostnames = item.hostnames as string[] | undefined;
  const rules = ((item.rules as MeshHTTPRouteRule[] | undefined) ?? []).map((rule) => (origin ? { ...rule, sources: [origin.name] } : rule));
  return { rules, ...(hostnames !== undefined && { hostnames }) };
}

/**
 * Merges the confs of the `to[]` items covering one outbound, lowest priority first, as Kuma does
 * (KUMA.md §3.3 item 4; meshhttproute helpers.go GetDefault/Transform, core/rules/merge
 * mergeByKey, api compare.go SortRules):
 * 1. the rules are listed highest priority first, each item's rules in written order;
 * 2. rules with equal `matches` merge (RFC 7396 on `default`, the earlier in that list wins) and
 *    take the place of the first of them;
 * 3. each rule becomes one entry per match, stable-sorted by match specificity (compareMatch),
 *    so equal matches keep the order of step 1.
 * Returns a new value; never mutates its inputs.
 */
export function mergeHTTPRouteConfs(confs: readonly unknown[]): HTTPRouteConf {
  const list = (confs as readonly (HTTPRouteConf | undefined)[]).filter((c): c is HTTPRouteConf => c !== undefined);
  const ordered = [...list].reverse().flatMap((conf) => conf.rules);
  const byKey = new Map<string, { matches: MeshHTTPRouteMatch[]; defaults: unknown[]; sources: Set<string> }>();
  for (const rule of ordered) {
    const key = canonicalJson(rule.matches);
    const found = byKey.get(key) ?? byKey.set(key, { matches: rule.matches, defaults: [], sources: new Set() }).get(key)!;
    found.defaults.push(rule.default);
    for (const source of rule.sources ?? []) found.sources.add(source);
  }
  const merged = [...byKey.values()].map(({ matches, defaults, sources }) => ({
    matches,
    default: ([...defaults].reverse().reduce<unknown>(mergeConf, undefined) ?? {}) as MeshHTTPRouteConf,
    ...(sources.size > 0 && { sources: [...sources].sort() }),
  }));
  const rules: SourcedRule[] = merged
    .flatMap((rule) => rule.matches.map((match) => ({ matches: [match], default: rule.default, ...(rule.sources && { sources: rule.sources }) })))
    .map((rule, index) => ({ rule, index }))
    .sort((a, b) => compareMatch(a.rule.matches[0]!, b.rule.matches[0]!) || a.index - b.index)
    .map(({ rule }) => rule);
  const hostnames = [...new Set(list.flatMap((conf) => conf.hostnames ?? []))].sort();
  return { rules, ...(hostnames.length > 0 && { hostnames }) };
}

const PATH_RANK = { Exact: 0, PathPrefix: 1, RegularExpression: 2 } as const;

/**
 * Kuma's match precedence (api/v1alpha1/compare.go CompareMatch): negative when `a` is more
 * specific. A path beats none; Exact > PathPrefix > RegularExpression; a longer prefix or regex
 * first; a method beats none; more headers, then more query parameters, first.
 */
export function compareMatch(a: MeshHTTPRouteMatch, b: MeshHTTPRouteMatch): number {
  if (a.path && !b.path) return -1;
  if (!a.path && b.path) return 1;
  if (a.path && b.path) {
    const byType = PATH_RANK[a.path.type] - PATH_RANK[b.path.type];
    if (byType !== 0) return byType;
    if (a.path.type !== 'Exact') {
      const byLength = b.path.value.length - a.path.value.length;
      if (byLength !== 0) return byLength;
    }
  }
  if (a.method && !b.method) return -1;
  if (!a.method && b.method) return 1;
  return (b.headers?.length ?? 0) - (a.headers?.length ?? 0) || (b.queryParams?.length ?? 0) - (a.queryParams?.length ?? 0);
}

/** The match that covers every request: the catch-all Kuma adds a default route for. */
const CATCH_ALL: MeshHTTPRouteMatch = { path: { type: 'PathPrefix', value: '/' } };

function matchesEverything(match: MeshHTTPRouteMatch): boolean {
  const rootPath = !match.path || (match.path.type === 'PathPrefix' && match.path.value === '/');
  return rootPath && !match.method && !match.headers?.length && !match.queryParams?.length;
}

/** A stable route name: a short hash of the match, equal on every machine and run. */
export function routeName(match: MeshHTTPRouteMatch): string {
  return createHash('sha256').update(canonicalJson(match)).digest('hex').slice(0, 16);
}

/** Backends with equal clusters folded into one, their weights summed (a weighted_clusters entry per cluster). */
function dedupe(backends: readonly Backend[]): Backend[] {
  const byCluster = new Map<string, Backend>();
  for (const backend of backends) {
    const name = backendCluster(backend);
    const seen = byCluster.get(name);
    byCluster.set(name, seen ? { ...seen, weight: seen.weight + backend.weight } : backend);
  }
  return [...byCluster.values()];
}

/**
 * Resolves route `backendRefs` to gitmesh backends (kuma.io/service clusters, or a tagged subset
 * of one), weight 1 by default. Weight 0 drops a backend, as Kuma does. What gitmesh does not model
 * (MeshExternalService, MeshMultiZoneService, labels, namespaces, other meshes, a port other than
 * the service's) is reported GM404 and left out. `what` names the field in notes.
 */
export function resolveBackendRefs(refs: readonly BackendRef[], ctx: OutboundContext, what: string): Backend[] {
  const out: Backend[] = [];
  for (const ref of refs) {
    const weight = ref.weight ?? 1;
    const backend = resolveBackendRef(ref, ctx, what);
    if (backend && weight > 0) out.push({ ...backend, weight });
  }
  return dedupe(out);
}

function resolveBackendRef(ref: BackendRef, ctx: OutboundContext, what: string): Omit<Backend, 'weight'> | undefined {
  const on = `to ${ctx.outbound.service}`;
  if ((ref.kind !== 'MeshService' && ref.kind !== 'MeshServiceSubset') || ref.name === undefined) {
    const which = ref.name !== undefined ? `${ref.kind} ${ref.name}` : `${ref.kind} selected by labels`;
    ctx.report('GM404', `${what} ${which} ${on}: gitmesh routes only to kuma.io/service destinations (MeshService or MeshServiceSubset by name); this backend is left out`);
    return undefined;
  }
  if (ref.mesh !== undefined && ref.mesh !== ctx.proxy.mesh) {
    ctx.report('GM404', `${what} ${ref.name} ${on}: mesh ${ref.mesh} is not this proxy's mesh; cross-mesh backends are not routed and this backend is left out`);
    return undefined;
  }
  if (ref.namespace !== undefined) {
    ctx.report('GM404', `${what} ${ref.name} ${on}: \`namespace\` selects a Kubernetes MeshService; gitmesh routes to the kuma.io/service ${ref.name} whatever the namespace`);
  }
  const port = ref.port ?? (ref.sectionName !== undefined && /^\d+$/.test(ref.sectionName) ? Number(ref.sectionName) : undefined);
  const known = ref.name === ctx.outbound.service ? (ctx.service?.port ?? ctx.outbound.port) : undefined;
  if ((port !== undefined && port !== known) || (ref.sectionName !== undefined && port === undefined)) {
    ctx.report('GM404', `${what} ${ref.name} ${on}: a kuma.io/service has one cluster for all its ports, so \`port\`/\`sectionName\` does not narrow the backend`);
  }
  return { service: ref.name, ...(ref.kind === 'MeshServiceSubset' && ref.tags && Object.keys(ref.tags).length > 0 && { tags: ref.tags }) };
}

/** RouteAction cluster specifier: `cluster` for one backend, `weighted_clusters` for more. */
export function clusterSpecifier(backends: readonly Backend[]): XdsMessage {
  if (backends.length === 1) return { cluster: backendCluster(backends[0]!) };
  return { weighted_clusters: { clusters: backends.map((b) => ({ name: backendCluster(b), weight: b.weight })) } };
}

/** A percentage (int, or a decimal string) as Envoy's FractionalPercent, as Kuma's ConvertPercentage. */
function fractionalPercent(value: Percentage): XdsMessage {
  const percent = typeof value === 'number' ? value : Number(value);
  let numerator = percent;
  let denominator: string | undefined;
  if (!Number.isInteger(percent)) {
    numerator = Math.round(percent * 100 * 1e6) / 1e6;
    denominator = 'TEN_THOUSAND';
    if (!Number.isInteger(numerator)) {
      numerator = Math.round(percent * 10_000);
      denominator = 'MILLION';
    }
  }
  // HUNDRED and 0 are proto3 defaults: left out.
  return { ...(numerator !== 0 && { numerator }), ...(denominator && { denominator }) };
}

/** Which Envoy match of a path a route stands for: it decides how ReplacePrefixMatch rewrites. */
type PathPart = 'exact' | 'prefix-exact' | 'prefix-sub' | 'root' | 'regex';

/** The Envoy path matchers of one match: PathPrefix /x is path /x plus prefix /x/ (Kuma, Gateway API). */
function pathMatchers(match: MeshHTTPRouteMatch): { part: PathPart; specifier: XdsMessage }[] {
  const path = match.path;
  if (!path) return [{ part: 'root', specifier: { prefix: '/' } }];
  switch (path.type) {
    case 'Exact':
      return [{ part: 'exact', specifier: { path: path.value } }];
    case 'RegularExpression':
      return [{ part: 'regex', specifier: { safe_regex: { regex: path.value } } }];
    case 'PathPrefix': {
      const trimmed = path.value.replace(/\/+$/, '');
      if (trimmed === '') return [{ part: 'root', specifier: { prefix: '/' } }];
      return [
        { part: 'prefix-exact', specifier: { path: trimmed } },
        { part: 'prefix-sub', specifier: { prefix: `${trimmed}/` } },
      ];
    }
  }
}

function headerMatcher(header: MeshHTTPRouteHeaderMatch): XdsMessage {
  const value = header.value ?? '';
  switch (header.type ?? 'Exact') {
    case 'Exact':
      return { name: header.name, string_match: { exact: value } };
    case 'Prefix':
      // Envoy rejects an empty prefix; any value has the empty prefix, so this is "present" (as Kuma).
      return value === '' ? { name: header.name, present_match: true } : { name: header.name, string_match: { prefix: value } };
    case 'RegularExpression':
      return { name: header.name, string_match: { safe_regex: { regex: value } } };
    case 'Present':
      return { name: header.name, present_match: true };
    case 'Absent':
      return { name: header.name, present_match: true, invert_match: true };
  }
}

/** `RouteMatch` conditions other than the path: method (as `:method`), headers and query parameters. */
function matchConditions(match: MeshHTTPRouteMatch, grpc: boolean): XdsMessage {
  const headers = [
    ...(match.method && !grpc ? [{ name: ':method', string_match: { exact: match.method } }] : []),
    ...(match.headers ?? []).map(headerMatcher),
  ];
  const query = (match.queryParams ?? []).map((q) => ({
    name: q.name,
    string_match: q.type === 'Exact' ? { exact: q.value } : { safe_regex: { regex: q.value } },
  }));
  return { ...(headers.length > 0 && { headers }), ...(query.length > 0 && { query_parameters: query }) };
}

/** HeaderValueOptions of a modifier: `set` overwrites, `add` appends (APPEND_IF_EXISTS_OR_ADD, the proto3 default). */
function headerOptions(modifier: MeshHTTPRouteHeaderModifier): XdsMessage[] {
  return [
    ...(modifier.set ?? []).map((h) => ({ header: { key: h.name, value: h.value }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' })),
    ...(modifier.add ?? []).map((h) => ({ header: { key: h.name, value: h.value } })),
  ];
}

function applyHeaderModifier(route: XdsMessage, modifier: MeshHTTPRouteHeaderModifier, direction: 'request' | 'response'): void {
  const add = headerOptions(modifier);
  const remove = modifier.remove ?? [];
  const addKey = `${direction}_headers_to_add`;
  const removeKey = `${direction}_headers_to_remove`;
  if (add.length > 0) route[addKey] = [...((route[addKey] as XdsMessage[] | undefined) ?? []), ...add];
  if (remove.length > 0) route[removeKey] = [...((route[removeKey] as string[] | undefined) ?? []), ...remove];
}

/** `prefix_rewrite` for the prefix part of a PathPrefix match: keeps the `/` that separates the rest. */
function prefixRewrite(replacement: string): string {
  return replacement.endsWith('/') ? replacement : `${replacement}/`;
}

/** Replaces the whole path (query string kept): `regex_rewrite` of `^.*$`. */
function fullPathRewrite(replacement: string): XdsMessage {
  return { pattern: { regex: '^.*$' }, substitution: replacement };
}

/** A RedirectAction (RequestRedirect); 301 is the proto3 default MOVED_PERMANENTLY and is left out. */
function redirectAction(redirect: MeshHTTPRouteRequestRedirect, part: PathPart): XdsMessage {
  const action: XdsMessage = {};
  if (redirect.scheme !== undefined) action.scheme_redirect = redirect.scheme;
  if (redirect.hostname !== undefined) action.host_redirect = redirect.hostname;
  if (redirect.port !== undefined) action.port_redirect = redirect.port;
  if (redirect.path) Object.assign(action, redirectPath(redirect.path, part));
  const code = REDIRECT_CODES[redirect.statusCode ?? 302];
  if (code !== 'MOVED_PERMANENTLY') action.response_code = code;
  return action;
}

const REDIRECT_CODES = { 301: 'MOVED_PERMANENTLY', 302: 'FOUND', 303: 'SEE_OTHER', 307: 'TEMPORARY_REDIRECT', 308: 'PERMANENT_REDIRECT' } as const;

function redirectPath(path: MeshHTTPRoutePathRewrite, part: PathPart): XdsMessage {
  if (path.type === 'ReplaceFullPath') return path.replaceFullPath !== undefined ? { path_redirect: path.replaceFullPath } : {};
  const replacement = path.replacePrefixMatch;
  if (replacement === undefined) return {};
  if (part === 'prefix-exact') return { path_redirect: replacement };
  if (part === 'prefix-sub' || part === 'root') return { prefix_rewrite: prefixRewrite(replacement) };
  return {};
}

function applyURLRewrite(action: XdsMessage, rewrite: MeshHTTPRouteURLRewrite, part: PathPart): void {
  if (rewrite.hostname !== undefined) action.host_rewrite_literal = rewrite.hostname;
  if (rewrite.hostToBackendHostname === true) action.auto_host_rewrite = true;
  const path = rewrite.path;
  if (!path) return;
  if (path.type === 'ReplaceFullPath') {
    if (path.replaceFullPath !== undefined) action.regex_rewrite = fullPathRewrite(path.replaceFullPath);
    return;
  }
  const replacement = path.replacePrefixMatch;
  if (replacement === undefined) return;
  if (part === 'prefix-exact') action.regex_rewrite = fullPathRewrite(replacement);
  else if (part === 'prefix-sub' || part === 'root') action.prefix_rewrite = prefixRewrite(replacement);
}

function mirrorPolicy(mirror: MeshHTTPRouteRequestMirror, backend: Omit<Backend, 'weight'>): XdsMessage {
  return {
    cluster: backendCluster(backend),
    ...(mirror.percentage !== undefined && { runtime_fraction: { default_value: fractionalPercent(mirror.percentage) } }),
  };
}

/** What a filter list asks for, split by type, in order. */
function filtersOf(filters: readonly MeshHTTPRouteFilter[]) {
  return {
    request: filters.flatMap((f) => (f.type === 'RequestHeaderModifier' && f.requestHeaderModifier ? [f.requestHeaderModifier] : [])),
    response: filters.flatMap((f) => (f.type === 'ResponseHeaderModifier' && f.responseHeaderModifier ? [f.responseHeaderModifier] : [])),
    redirect: filters.flatMap((f) => (f.type === 'RequestRedirect' && f.requestRedirect ? [f.requestRedirect] : [])).at(-1),
    rewrites: filters.flatMap((f) => (f.type === 'URLRewrite' && f.urlRewrite ? [f.urlRewrite] : [])),
    mirrors: filters.flatMap((f) => (f.type === 'RequestMirror' && f.requestMirror ? [f.requestMirror] : [])),
  };
}

/** A readable form of a match for notes: `PathPrefix /api GET`. */
function describe(match: MeshHTTPRouteMatch): string {
  const parts = [match.path ? `${match.path.type} ${match.path.value}` : 'any path'];
  if (match.method) parts.push(match.method);
  if (match.headers?.length) parts.push(`${match.headers.length} header condition(s)`);
  if (match.queryParams?.length) parts.push(`${match.queryParams.length} query condition(s)`);
  return parts.join(' ');
}

/**
 * The Envoy routes and backends of the rules on one HTTP outbound, for either flavour. Rules come
 * sorted (mergeHTTPRouteConfs); a default `prefix: /` route to the destination is appended when no
 * emitted route matches every request (Kuma's catch-all). Routes that sort after a catch-all are
 * kept, as Kuma keeps them, and reported GM404: nothing reaches them. Pure; reports through `ctx.report`.
 */
export function buildHTTPRoutes(ctx: OutboundContext, rules: readonly SourcedRule[]): { routes: XdsMessage[]; backends: Backend[]; routeSources: (readonly string[])[] } {
  const grpc = ctx.proxy.flavour === 'grpc';
  const to = `to ${ctx.outbound.service}`;
  const own: Backend = { service: ctx.outbound.service, weight: 1 };
  const routes: XdsMessage[] = [];
  const routeSources: (readonly string[])[] = [];
  const backends: Backend[] = [];
  let catchAll = false;
  for (const rule of [...rules, { matches: [CATCH_ALL], default: {}, fallback: true }]) {
    if ('fallback' in rule && catchAll) break;
    for (const match of rule.matches) {
      const made = buildRouteGroup(ctx, match, rule.default, { grpc, to, own });
      if (!made) continue;
      if (catchAll) {
        // Kuma's order puts path-less and regex matches after `PathPrefix /`, where nothing reaches them.
        ctx.report('GM404', `rule (${describe(match)} ${to}) never matches: it sorts after a rule that matches every request (a path match beats none, PathPrefix beats RegularExpression); give it a more specific path, e.g. PathPrefix / plus its conditions`);
      }
      routes.push(...made.routes);
      for (const _ of made.routes) routeSources.push('sources' in rule ? (rule.sources ?? []) : []);
      backends.push(...made.backends);
      if (matchesEverything(match)) catchAll = true;
    }
  }
  return { routes, backends: dedupeByCluster(backends), routeSources };
}

/** The backends whose clusters the translator must create: one per cluster name, first seen kept. */
function dedupeByCluster(backends: readonly Backend[]): Backend[] {
  const seen = new Map<string, Backend>();
  for (const backend of backends) if (!seen.has(backendCluster(backend))) seen.set(backendCluster(backend), backend);
  return [...seen.values()];
}

/** The route(s) of one match of one rule, or undefined when the flavour cannot express the rule. */
function buildRouteGroup(
  ctx: OutboundContext,
  match: MeshHTTPRouteMatch,
  conf: MeshHTTPRouteConf,
  env: { grpc: boolean; to: string; own: Backend },
): { routes: XdsMessage[]; backends: Backend[] } | undefined {
  const { grpc, to } = env;
  const where = `${describe(match)} ${to}`;
  const filters = filtersOf(conf.filters ?? []);
  if (grpc) {
    if (match.queryParams?.length) {
      ctx.report('GM401', `queryParams (${where}): proxyless gRPC clients do not match query parameters, and a gRPC call has none; the rule is left out`);
      return undefined;
    }
    if (match.method && match.method !== 'POST') {
      ctx.report('GM401', `method ${match.method} (${where}): proxyless gRPC clients cannot match :method and every gRPC call is a POST; the rule never matches and is left out`);
      return undefined;
    }
    if (match.method) ctx.report('GM401', `method POST (${where}): proxyless gRPC clients cannot match :method; every gRPC call is a POST, so the condition is dropped`);
    if (filters.redirect) {
      ctx.report('GM401', `filters RequestRedirect (${where}): proxyless gRPC clients cannot redirect (a route with a redirect action is NACKed); the rule is left out`);
      return undefined;
    }
    if (filters.request.length > 0) ctx.report('GM401', `filters RequestHeaderModifier (${where}): proxyless gRPC clients do not modify request headers; the filter is left out`);
    if (filters.response.length > 0) ctx.report('GM401', `filters ResponseHeaderModifier (${where}): proxyless gRPC clients do not modify response headers; the filter is left out`);
    if (filters.rewrites.length > 0) ctx.report('GM401', `filters URLRewrite (${where}): proxyless gRPC clients do not rewrite the path or authority; the filter is left out`);
    if (filters.mirrors.length > 0) ctx.report('GM401', `filters RequestMirror (${where}): proxyless gRPC clients do not mirror requests; the filter is left out`);
  }
  let backends: Backend[] = [];
  if (!filters.redirect) {
    backends = conf.backendRefs === undefined ? [env.own] : resolveBackendRefs(conf.backendRefs, ctx, 'backendRef');
    if (backends.length === 0) {
      ctx.report('GM404', `backendRefs (${where}): no backend with a weight above 0 is left, so the rule is left out (as Kuma does) and its requests fall through to later routes`);
      return undefined;
    }
  } else if (filters.rewrites.length > 0 || filters.mirrors.length > 0 || conf.backendRefs !== undefined) {
    ctx.report('GM404', `filters RequestRedirect (${where}): a redirected request is not forwarded, so the rule's URLRewrite, RequestMirror and backendRefs do nothing`);
  }
  const mirrors = grpc || filters.redirect ? [] : filters.mirrors.flatMap((m) => {
    const backend = resolveBackendRefs([{ ...m.backendRef, weight: 1 }], ctx, 'requestMirror backendRef')[0];
    return backend ? [{ mirror: m, backend }] : [];
  });
  const conditions = matchConditions(match, grpc);
  const routes = pathMatchers(match).map(({ part, specifier }) => {
    const route: XdsMessage = { name: routeName(match), match: { ...specifier, ...conditions } };
    if (filters.redirect) {
      route.redirect = redirectAction(filters.redirect, part);
    } else {
      const action: XdsMessage = clusterSpecifier(backends);
      if (!grpc) for (const rewrite of filters.rewrites) applyURLRewrite(action, rewrite, part);
      if (mirrors.length > 0) action.request_mirror_policies = mirrors.map(({ mirror, backend }) => mirrorPolicy(mirror, backend));
      route.route = action;
    }
    if (!grpc) {
      for (const modifier of filters.request) applyHeaderModifier(route, modifier, 'request');
      for (const modifier of filters.response) applyHeaderModifier(route, modifier, 'response');
    }
    return route;
  });
  // Mirror clusters are built like any backend; the weight is unused for HTTP.
  return { routes, backends: [...backends, ...mirrors.map(({ backend }) => ({ ...backend, weight: 0 }))] };
}

function hasConf(conf: unknown): conf is HTTPRouteConf {
  return conf !== undefined && conf !== null && typeof conf === 'object' && Array.isArray((conf as HTTPRouteConf).rules);
}

/**
 * MeshHTTPRoute's hooks. `httpRoutes`: every outbound a MeshHTTPRoute covers gets its routes,
 * even with no rule (then just the default route), so a MeshTCPRoute on the same destination
 * loses (KUMA.md §2; meshtcproute listeners_backendrefs.go). `tcpBackends`: HTTP routes do not
 * apply to a TCP destination; reported, nothing changed.
 */
export const meshHTTPRouteXds: XdsHooks = {
  httpRoutes(ctx) {
    const conf = ctx.conf;
    if (!hasConf(conf)) return undefined;
    if (conf.hostnames?.length) {
      ctx.report('GM404', `hostnames (to ${ctx.outbound.service}): hostnames apply only to builtin gateways, which gitmesh does not serve`);
    }
    return buildHTTPRoutes(ctx, conf.rules);
  },
  tcpBackends(ctx) {
    if (hasConf(ctx.conf)) {
      ctx.report('GM404', `MeshHTTPRoute to ${ctx.outbound.service}: ${ctx.outbound.service} is a ${ctx.outbound.protocol} service, and HTTP routes do not apply to TCP traffic (as in Kuma); tag its inbounds kuma.io/protocol: http or use a MeshTCPRoute`);
    }
    return undefined;
  },
};
