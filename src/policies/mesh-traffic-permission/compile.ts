// MeshTrafficPermission → RBAC on the inbound (HTTP filter, network filter, or a gRPC server's filter).
import { statName, typed, TYPE, type XdsMessage } from '../../core/xds-json.js';
import { describeTargetRef, type ClientSelector } from '../target-ref/match.js';
import type { ResolvedInboundRule } from '../model.js';
import { isHttpProtocol } from '../model.js';
import type { InboundContext, XdsHooks } from '../types.js';

type Action = 'Allow' | 'Deny' | 'AllowWithShadowDeny';
interface SpiffeMatch {
  readonly spiffeID?: { readonly type: 'Exact' | 'Prefix'; readonly value: string };
}
/** The merged conf of a rule: `action` for the from[] form, match lists for the rules[] (SPIFFE) form. */
interface Conf {
  readonly action?: Action;
  readonly allow?: readonly SpiffeMatch[];
  readonly deny?: readonly SpiffeMatch[];
  readonly allowWithShadowDeny?: readonly SpiffeMatch[];
}

const LISTS = ['allow', 'deny', 'allowWithShadowDeny'] as const;

/**
 * The rules[] form combines across policies: every allow, deny and shadow list joins (a deny
 * anywhere wins, MADR 080/081); the from[] form's `action` merges as RFC 7396 (the later wins).
 */
export function mergeMeshTrafficPermission(confs: readonly unknown[]): unknown {
  const out: Record<string, unknown> = {};
  for (const conf of confs as Conf[]) {
    if (conf.action !== undefined) out.action = conf.action;
    for (const list of LISTS) if (conf[list]) out[list] = [...((out[list] as SpiffeMatch[] | undefined) ?? []), ...conf[list]!];
  }
  return out;
}

const principalName = (matcher: XdsMessage): XdsMessage => ({ authenticated: { principal_name: matcher } });
const anyOf = (ids: XdsMessage[]): XdsMessage => (ids.length === 1 ? ids[0]! : { or_ids: { ids } });
const allOf = (ids: XdsMessage[]): XdsMessage => (ids.length === 1 ? ids[0]! : { and_ids: { ids } });

/** A client selector as a principal: the SPIFFE ID of its service and `kuma://tag/value` SANs of its tags (KUMA.md §6). */
function clientPrincipal(mesh: string, clients: ClientSelector): XdsMessage {
  if (clients.kind === 'Mesh') return { any: true };
  const ids: XdsMessage[] = [];
  if (clients.name !== undefined) ids.push(principalName({ exact: `spiffe://${mesh}/${clients.name}` }));
  for (const [tag, value] of Object.entries(clients.tags ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
    ids.push(principalName({ exact: tag === 'kuma.io/service' ? `spiffe://${mesh}/${value}` : `kuma://${tag}/${value}` }));
  }
  return ids.length === 0 ? { any: true } : allOf(ids);
}

/** The principals of SPIFFE matches (exact or prefix on the client certificate's URI SAN). */
function spiffePrincipals(matches: readonly SpiffeMatch[]): XdsMessage[] {
  return matches.flatMap(({ spiffeID: id }) => (id ? [principalName(id.type === 'Prefix' ? { prefix: id.value } : { exact: id.value })] : []));
}

/**
 * The RBAC rules of one inbound. from[] rules are evaluated first-match, most specific first
 * (MADR 005): an allowing rule admits its clients except those a more specific rule denies.
 * rules[] lists admit allow ∪ allowWithShadowDeny, except deny, which wins everywhere.
 * Requests no policy admits are denied, as Kuma does with mTLS on.
 */
function rbacRules(mesh: string, rules: readonly ResolvedInboundRule[]): { rules: XdsMessage; shadow?: XdsMessage } {
  const policies: Record<string, XdsMessage> = {};
  const shadow: Record<string, XdsMessage> = {};
  const spiffe = rules.map((r) => r.conf as Conf).filter((c) => LISTS.some((l) => c[l]));
  const denied = spiffePrincipals(spiffe.flatMap((c) => c.deny ?? []));
  const notDenied = (principal: XdsMessage) => (denied.length === 0 ? principal : allOf([principal, { not_id: anyOf(denied) }]));
  const fromRules = rules.filter((r) => (r.conf as Conf).action !== undefined);
  fromRules.forEach((rule, i) => {
    const action = (rule.conf as Conf).action!;
    if (action === 'Deny') return;
    const moreSpecificDenies = fromRules.slice(0, i).filter((r) => (r.conf as Conf).action === 'Deny').map((r) => clientPrincipal(mesh, r.clients));
    const own = clientPrincipal(mesh, rule.clients);
    const principal = notDenied(moreSpecificDenies.length ? allOf([own, { not_id: anyOf(moreSpecificDenies) }]) : own);
    const name = `MeshTrafficPermission from ${describeTargetRef(rule.clients)}`;
    policies[name] = { permissions: [{ any: true }], principals: [principal] };
    if (action === 'AllowWithShadowDeny') shadow[name] = { permissions: [{ any: true }], principals: [own] };
  });
  const allowed = spiffePrincipals(spiffe.flatMap((c) => [...(c.allow ?? []), ...(c.allowWithShadowDeny ?? [])]));
  if (allowed.length > 0) policies['MeshTrafficPermission rules'] = { permissions: [{ any: true }], principals: [notDenied(anyOf(allowed))] };
  const shadowed = spiffePrincipals(spiffe.flatMap((c) => c.allowWithShadowDeny ?? []));
  if (shadowed.length > 0) shadow['MeshTrafficPermission rules'] = { permissions: [{ any: true }], principals: [anyOf(shadowed)] };
  // ALLOW is the RBAC default action: it is left out, as proto3 JSON leaves defaults out.
  return { rules: { policies }, ...(Object.keys(shadow).length > 0 && { shadow: { action: 'DENY', policies: shadow } }) };
}

/** RBAC only with mTLS, as in Kuma: without client certificates there is no identity to check. */
function enforced(ctx: InboundContext): boolean {
  if (ctx.mtls) return true;
  if (ctx.rules.length > 0) ctx.report('GM404', `MeshTrafficPermission is not enforced: mesh "${ctx.proxy.mesh}" has no mTLS backend enabled (as in Kuma)`);
  return false;
}

export const meshTrafficPermissionXds: XdsHooks = {
  authorizesInbound: true,
  inboundHttpFilters(ctx) {
    if (!enforced(ctx)) return [];
    const { rules, shadow } = rbacRules(ctx.proxy.mesh, ctx.rules);
    return [{ name: 'envoy.filters.http.rbac', typed_config: typed(TYPE.rbacHttp, { rules, ...(shadow && { shadow_rules: shadow }) }) }];
  },
  inboundNetworkFilters(ctx) {
    if (isHttpProtocol(ctx.inbound.protocol) || !enforced(ctx)) return [];
    const { rules, shadow } = rbacRules(ctx.proxy.mesh, ctx.rules);
    const statPrefix = statName(`inbound_${ctx.inbound.port}_rbac`);
    return [{ name: 'envoy.filters.network.rbac', typed_config: typed(TYPE.rbacNetwork, { rules, stat_prefix: statPrefix, ...(shadow && { shadow_rules: shadow }) }) }];
  },
};
