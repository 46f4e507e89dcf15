// Which proxies, inbounds and outbounds a targetRef selects (Kuma core/rules, KUMA.md §3).
import type { InboundView, OutboundView, ProxyView } from '../model.js';

/** A targetRef as compile reads it (schema-valid). */
export interface TargetRef {
  readonly kind: string;
  readonly name?: string;
  readonly namespace?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly tags?: Readonly<Record<string, string>>;
  readonly sectionName?: string;
  readonly proxyTypes?: readonly string[];
}

/** What a top-level targetRef selects on one proxy: some of its inbounds, and whether its outbounds. */
export interface Selection {
  readonly inbounds: readonly InboundView[];
  readonly outbounds: boolean;
}

const SERVICE_TAG = 'kuma.io/service';

/** Whether every entry of `subset` is in `set`. */
export function includesAll(set: Readonly<Record<string, string>>, subset: Readonly<Record<string, string>> | undefined): boolean {
  return Object.entries(subset ?? {}).every(([key, value]) => set[key] === value);
}

/**
 * What the top-level targetRef `ref` (Mesh when absent, MADR 034) selects on `proxy`, or null
 * when it does not select the proxy at all. Gateways are not modelled: MeshGateway and
 * `proxyTypes: [Gateway]` select nothing. Pure.
 */
export function selectProxy(ref: TargetRef | undefined, proxy: ProxyView): Selection | null {
  const all = { inbounds: proxy.inbounds, outbounds: true };
  const kind = ref?.kind ?? 'Mesh';
  const sidecars = !ref?.proxyTypes || ref.proxyTypes.includes('Sidecar');
  const narrowed = (inbounds: readonly InboundView[]) => (inbounds.length > 0 ? { inbounds, outbounds: true } : null);
  switch (kind) {
    case 'Mesh':
      return sidecars ? all : null;
    case 'MeshSubset':
      return sidecars ? narrowed(proxy.inbounds.filter((i) => includesAll(i.tags, ref?.tags))) : null;
    case 'Dataplane': {
      if (ref?.name !== undefined && proxy.name !== (ref.namespace ? `${ref.name}.${ref.namespace}` : ref.name)) return null;
      if (!includesAll(proxy.labels, ref?.labels)) return null;
      if (ref?.sectionName === undefined) return all;
      const inbounds = proxy.inbounds.filter((i) => i.name === ref.sectionName || String(i.port) === ref.sectionName);
      return inbounds.length > 0 ? { inbounds, outbounds: false } : null;
    }
    case 'MeshService':
      return narrowed(proxy.inbounds.filter((i) => i.service === ref?.name));
    case 'MeshServiceSubset':
      return narrowed(proxy.inbounds.filter((i) => i.service === ref?.name && includesAll(i.tags, ref?.tags)));
    default:
      return null;
  }
}

/** Whether a `to[]` targetRef covers an outbound (a MeshHTTPRoute ref covers none: it names routes). */
export function coversOutbound(ref: TargetRef, outbound: OutboundView): boolean {
  switch (ref.kind) {
    case 'Mesh':
      return true;
    case 'MeshService':
      return ref.name === outbound.service && (ref.sectionName === undefined || ref.sectionName === String(outbound.port));
    default:
      return false;
  }
}

/** A client as a `from[]` targetRef names it: everyone (Mesh), a service, or tagged workloads. */
export interface ClientSelector {
  readonly kind: 'Mesh' | 'MeshSubset' | 'MeshService' | 'MeshServiceSubset';
  readonly name?: string;
  readonly tags?: Readonly<Record<string, string>>;
}

/** Whether every client `inner` selects is also selected by `outer` (from-rule containment, MADR 005). */
export function coversClients(outer: ClientSelector, inner: ClientSelector): boolean {
  if (outer.kind === 'Mesh') return true;
  const innerTags = { ...(inner.tags ?? {}), ...(inner.name !== undefined ? { [SERVICE_TAG]: inner.name } : {}) };
  const outerTags = { ...(outer.tags ?? {}), ...(outer.name !== undefined ? { [SERVICE_TAG]: outer.name } : {}) };
  if (inner.kind === 'Mesh') return false;
  return includesAll(innerTags, outerTags);
}

/** A targetRef in a few words, for inspect: `Mesh`, `Dataplane app=api`, `MeshService orders :8080`. */
export function describeTargetRef(ref: TargetRef | undefined): string {
  if (!ref) return 'Mesh';
  const pairs = (map: Readonly<Record<string, string>> | undefined) => Object.entries(map ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${v}`);
  return [ref.kind, ref.name, ...pairs(ref.labels), ...pairs(ref.tags), ref.sectionName !== undefined ? `:${ref.sectionName}` : undefined, ref.proxyTypes ? `(${ref.proxyTypes.join(',')})` : undefined]
    .filter((part) => part !== undefined)
    .join(' ');
}
