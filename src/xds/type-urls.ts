// The five xDS resource types gitmesh serves: type URLs, short names and push order, in one place.

/** The prefix of every type URL gitmesh writes (`Any.type_url`, `DiscoveryResponse.type_url`). */
export const TYPE_URL_PREFIX = 'type.googleapis.com/';

/** Short name of a resource type, as in Envoy's docs and gitmesh's logs and metrics. */
export type XdsTypeName = 'lds' | 'rds' | 'cds' | 'eds' | 'sds';

/** Type URL of each resource type (XDS.md "Transport"). */
export const TYPE_URLS = {
  lds: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  rds: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  cds: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  eds: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  sds: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
} as const satisfies Readonly<Record<XdsTypeName, string>>;

/** One of the five resource type URLs. */
export type XdsTypeUrl = (typeof TYPE_URLS)[XdsTypeName];

/** The key each type's resources go under in `snapshot --format json` (DESIGN.md §5). */
export const RESOURCE_KEYS = {
  lds: 'listeners',
  rds: 'routes',
  cds: 'clusters',
  eds: 'endpoints',
  sds: 'secrets',
} as const satisfies Readonly<Record<XdsTypeName, string>>;

/**
 * The order in which a change is pushed, make before break: SDS → CDS → EDS → LDS → RDS.
 * CDS → EDS → LDS → RDS is xds_protocol's "eventual consistency" order (XDS.md); secrets go
 * first because a cluster or listener naming a secret stays warming until that secret arrives.
 */
export const PUSH_ORDER: readonly XdsTypeName[] = ['sds', 'cds', 'eds', 'lds', 'rds'];

const BY_URL: ReadonlyMap<string, XdsTypeName> = new Map(
  (Object.entries(TYPE_URLS) as [XdsTypeName, string][]).map(([name, url]) => [url, name]),
);

/** The short name of one of the five type URLs, or undefined for any other string. */
export function typeNameOf(typeUrl: string): XdsTypeName | undefined {
  return BY_URL.get(typeUrl);
}

/** The fully qualified message name a type URL names: everything after its last `/` (as Envoy reads it). */
export function messageNameOf(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
}
