// A Dataplane as compile sees it: inbounds, reachable outbounds and the flavour.
import type { Resource } from '../core/resource.js';
import type { Flavour, InboundView, OutboundView, ProxyView } from '../policies/model.js';
import { protocolOf, PROXYLESS_LABEL, SERVICE_TAG, type DataplaneBody, type MeshContext } from './mesh-context.js';

/**
 * Builds the proxy view of a Dataplane (DESIGN.md §6). Without transparent proxying the
 * outbounds are the Dataplane's `networking.outbound` entries; with it, every service of the
 * mesh (its VIP and port), trimmed by `reachableServices`/`reachableBackends`; so too for a
 * proxyless gRPC client that lists no outbounds. Pure.
 */
export function proxyView(ctx: MeshContext, dataplane: Resource<DataplaneBody>, flavourOverride?: Flavour): ProxyView {
  const networking = dataplane.spec.networking;
  const flavour: Flavour = flavourOverride ?? (dataplane.labels[PROXYLESS_LABEL] === 'true' ? 'grpc' : 'envoy');
  const inbounds: InboundView[] = (networking.inbound ?? [])
    .filter((inbound) => inbound.tags?.[SERVICE_TAG] !== undefined && inbound.state !== 'Ignored')
    .map((inbound) => ({
      name: inbound.name ?? String(inbound.port),
      address: inbound.address ?? networking.address,
      port: inbound.port,
      serviceAddress: inbound.serviceAddress ?? '127.0.0.1',
      servicePort: inbound.servicePort ?? inbound.port,
      service: inbound.tags![SERVICE_TAG]!,
      protocol: protocolOf(inbound.tags),
      tags: inbound.tags ?? {},
    }));
  return {
    id: `${dataplane.mesh}.${dataplane.name}`,
    mesh: dataplane.mesh,
    name: dataplane.name,
    labels: dataplane.labels,
    flavour,
    address: networking.address,
    inbounds,
    outbounds: outboundsOf(ctx, networking, flavour),
    ...(networking.transparentProxying && {
      transparentProxy: {
        inboundPort: networking.transparentProxying.redirectPortInbound ?? 15006,
        outboundPort: networking.transparentProxying.redirectPortOutbound ?? 15001,
      },
    }),
  };
}

function outboundsOf(ctx: MeshContext, networking: DataplaneBody['networking'], flavour: Flavour): OutboundView[] {
  const protocol = (service: string) => ctx.services.get(service)?.protocol ?? 'tcp';
  const tproxy = networking.transparentProxying;
  // A proxyless client that lists no outbounds may dial any service: it names what it needs.
  if (tproxy || (flavour === 'grpc' && !networking.outbound?.length)) {
    const reachable = reachableSet(tproxy);
    const out: OutboundView[] = [];
    for (const service of ctx.services.values()) {
      if (reachable && !reachable.has(service.name)) continue;
      out.push({ service: service.name, address: ctx.vips.get(service.name)!, port: service.port, protocol: service.protocol });
    }
    return out;
  }
  const out: OutboundView[] = [];
  const seen = new Set<string>();
  for (const outbound of networking.outbound ?? []) {
    const service = outbound.tags?.[SERVICE_TAG] ?? outbound.backendRef?.name;
    if (service === undefined) continue;
    const address = outbound.address ?? '127.0.0.1';
    const key = `${address}:${outbound.port}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ service, address, port: outbound.port, protocol: protocol(service) });
  }
  return out.sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : a.port - b.port));
}

/** The services a transparent proxy is trimmed to, or undefined for all of them. */
function reachableSet(tproxy: DataplaneBody['networking']['transparentProxying']): Set<string> | undefined {
  if (!tproxy) return undefined;
  const names = [...(tproxy.reachableServices ?? []), ...(tproxy.reachableBackends?.refs ?? []).flatMap((ref) => (ref.name ? [ref.name] : []))];
  return tproxy.reachableServices || tproxy.reachableBackends ? new Set(names) : undefined;
}
