// MeshTCPRoute → xDS: the weighted backends of an outbound's single rule (TcpProxy clusters).
import type { MeshTCPRouteConf, MeshTCPRouteRule } from '../../generated/mesh-tcp-route.js';
import { clusterSpecifier, resolveBackendRefs } from '../mesh-http-route/compile.js';
import type { Backend, OutboundContext, XdsHooks } from '../types.js';

/** What one `to[]` item contributes: the `default` of its one rule (validation rejects more). */
export function tcpRouteOutboundConf(item: Readonly<Record<string, unknown>>): MeshTCPRouteConf {
  return (item.rules as MeshTCPRouteRule[] | undefined)?.[0]?.default ?? {};
}

/** The backends of the merged conf (RFC 7396: the highest-priority `backendRefs` list wins), or undefined. */
function backendsOf(ctx: OutboundContext): Backend[] | undefined {
  const conf = ctx.conf as MeshTCPRouteConf | undefined;
  if (conf?.backendRefs === undefined) return undefined;
  const backends = resolveBackendRefs(conf.backendRefs, ctx, 'backendRef');
  if (backends.length === 0) {
    ctx.report('GM404', `backendRefs (to ${ctx.outbound.service}): no backend with a weight above 0 is left; connections go to ${ctx.outbound.service} unsplit`);
    return undefined;
  }
  return backends;
}

/**
 * MeshTCPRoute's hooks. `tcpBackends`: TcpProxy `cluster` (one backend) or `weighted_clusters`
 * (the translator builds both from the list). `httpRoutes`: when only a MeshTCPRoute covers an HTTP
 * destination, Kuma sends it as TCP with the split; gitmesh keeps the HTTP connection manager and
 * expresses the same split as one `prefix: /` route with `cluster`/`weighted_clusters`, so the
 * split is per request instead of per connection (and works for proxyless gRPC clients). The
 * translator asks the route kinds in order and the first answer wins, so a MeshHTTPRoute
 * (order 100) on the same destination takes precedence, as in Kuma.
 */
export const meshTCPRouteXds: XdsHooks = {
  tcpBackends: backendsOf,
  httpRoutes(ctx) {
    const backends = backendsOf(ctx);
    if (!backends) return undefined;
    return { routes: [{ match: { prefix: '/' }, route: clusterSpecifier(backends) }], backends };
  },
};
