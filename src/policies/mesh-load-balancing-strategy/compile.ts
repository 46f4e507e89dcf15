// MeshLoadBalancingStrategy → xDS: Cluster lb_policy and its config, RouteAction.hash_policy, and locality priorities in the ClusterLoadAssignment.
import { parseDuration } from '../../core/duration.js';
import { durationJson, type XdsMessage } from '../../core/xds-json.js';
import type {
  MeshLoadBalancingStrategyConf,
  MeshLoadBalancingStrategyHashPolicy,
  MeshLoadBalancingStrategyLoadBalancer,
  MeshLoadBalancingStrategyLocalityAwareness,
  Percentage,
} from '../../generated/mesh-load-balancing-strategy.js';
import type { ProxyView } from '../model.js';
import type { OutboundContext, XdsHooks } from '../types.js';

const ZONE_TAG = 'kuma.io/zone';

/** Kuma's overprovisioning factor when `failoverThreshold` is unset (50% → 200). */
const DEFAULT_OVERPROVISIONING = 200;

/** Envoy's lb_policy per type; ROUND_ROBIN is proto3's default and never written. */
const LB_POLICY: Readonly<Record<MeshLoadBalancingStrategyLoadBalancer['type'], string | undefined>> = {
  RoundRobin: undefined,
  LeastRequest: 'LEAST_REQUEST',
  RingHash: 'RING_HASH',
  Random: 'RANDOM',
  Maglev: 'MAGLEV',
};

/** The `lb_config` oneof members, all cleared before one is set. */
const LB_CONFIGS = ['least_request_lb_config', 'ring_hash_lb_config', 'maglev_lb_config', 'round_robin_lb_config'] as const;

function isConf(conf: unknown): conf is MeshLoadBalancingStrategyConf {
  return conf !== null && typeof conf === 'object';
}

function number(value: Percentage): number {
  return typeof value === 'number' ? value : Number(value);
}

/** The proxy's zone: the kuma.io/zone tag of its first inbound (undefined when it has none). */
export function proxyZone(proxy: ProxyView): string | undefined {
  return proxy.inbounds[0]?.tags[ZONE_TAG];
}

/** Locality awareness in force: configured and not disabled. */
function activeLocality(conf: MeshLoadBalancingStrategyConf): MeshLoadBalancingStrategyLocalityAwareness | undefined {
  const locality = conf.localityAwareness;
  return locality && locality.disabled !== true ? locality : undefined;
}

/** The hash policies in force: `default.hashPolicies`, else the deprecated ones of the RingHash/Maglev settings (Kuma getHashPolicies). */
export function hashPoliciesOf(conf: MeshLoadBalancingStrategyConf): readonly MeshLoadBalancingStrategyHashPolicy[] | undefined {
  if (conf.hashPolicies) return conf.hashPolicies;
  const lb = conf.loadBalancer;
  if (lb?.type === 'RingHash') return lb.ringHash?.hashPolicies;
  if (lb?.type === 'Maglev') return lb.maglev?.hashPolicies;
  return undefined;
}

/** A RouteAction.HashPolicy (Kuma hashpolicyconfigurer.go); SourceIP is Connection's old name. */
function hashPolicy(policy: MeshLoadBalancingStrategyHashPolicy): XdsMessage {
  let specifier: XdsMessage;
  switch (policy.type) {
    case 'Header':
      specifier = { header: { header_name: policy.header?.name ?? '' } };
      break;
    case 'Cookie': {
      const cookie = policy.cookie;
      specifier = {
        cookie: {
          name: cookie?.name ?? '',
          ...(cookie?.ttl !== undefined && { ttl: durationJson(parseDuration(cookie.ttl) ?? 0) }),
          ...(cookie?.path !== undefined && cookie.path !== '' && { path: cookie.path }),
        },
      };
      break;
    }
    case 'Connection':
    case 'SourceIP':
      specifier = { connection_properties: policy.connection?.sourceIP === true ? { source_ip: true } : {} };
      break;
    case 'QueryParameter':
      specifier = { query_parameter: { name: policy.queryParameter?.name ?? '' } };
      break;
    case 'FilterState':
      specifier = { filter_state: { key: policy.filterState?.key ?? '' } };
      break;
  }
  return { ...specifier, ...(policy.terminal === true && { terminal: true }) };
}

/** The filter-state key a proxyless gRPC client hashes on (its channel id, gRFC A42); other keys it ignores. */
const GRPC_CHANNEL_ID = 'io.grpc.channel_id';

/** Whether a proxyless gRPC client uses a hash policy (gRFC A42: header, and filter_state of its channel id). */
function grpcHashes(policy: MeshLoadBalancingStrategyHashPolicy): boolean {
  return policy.type === 'Header' || (policy.type === 'FilterState' && policy.filterState?.key === GRPC_CHANNEL_ID);
}

/**
 * Sets lb_policy and its lb_config (Kuma lbconfigurer.go); RoundRobin leaves both at their
 * defaults. active_request_bias gets a runtime key, which Envoy requires on a RuntimeDouble.
 */
function applyLoadBalancer(cluster: XdsMessage, lb: MeshLoadBalancingStrategyLoadBalancer): void {
  const policy = LB_POLICY[lb.type];
  if (policy) cluster.lb_policy = policy;
  else delete cluster.lb_policy;
  for (const field of LB_CONFIGS) delete cluster[field];
  switch (lb.type) {
    case 'LeastRequest': {
      const settings = lb.leastRequest;
      const config: XdsMessage = {};
      if (settings?.choiceCount !== undefined) config.choice_count = settings.choiceCount;
      if (settings?.activeRequestBias !== undefined) {
        const bias = number(settings.activeRequestBias);
        config.active_request_bias = { ...(bias !== 0 && { default_value: bias }), runtime_key: `gitmesh.lb.${String(cluster.name)}.active_request_bias` };
      }
      if (Object.keys(config).length > 0) cluster.least_request_lb_config = config;
      break;
    }
    case 'RingHash': {
      const settings = lb.ringHash;
      if (!settings) break;
      // Ring sizes are UInt64Value: 64-bit, hence strings; XX_HASH is the default hash function.
      cluster.ring_hash_lb_config = {
        ...(settings.minRingSize !== undefined && { minimum_ring_size: String(settings.minRingSize) }),
        ...(settings.hashFunction === 'MurmurHash2' && { hash_function: 'MURMUR_HASH_2' }),
        ...(settings.maxRingSize !== undefined && { maximum_ring_size: String(settings.maxRingSize) }),
      };
      break;
    }
    case 'Maglev':
      if (lb.maglev?.tableSize !== undefined) cluster.maglev_lb_config = { table_size: String(lb.maglev.tableSize) };
      break;
    default:
      break;
  }
}

/** Sets or clears common_lb_config.locality_weighted_lb_config, keeping what else common_lb_config holds. */
function setLocalityWeighted(cluster: XdsMessage, on: boolean): void {
  const common = { ...((cluster.common_lb_config as XdsMessage | undefined) ?? {}) };
  if (on) common.locality_weighted_lb_config = {};
  else delete common.locality_weighted_lb_config;
  if (Object.keys(common).length > 0) cluster.common_lb_config = common;
  else delete cluster.common_lb_config;
}

/** The overprovisioning factor for a failover threshold: Kuma's uint32(100 / percentage) × 100. */
function overprovisioningFactor(locality: MeshLoadBalancingStrategyLocalityAwareness): number {
  const threshold = locality.crossZone?.failoverThreshold?.percentage;
  const value = threshold === undefined ? 0 : number(threshold);
  return value > 0 ? Math.trunc(100 / value) * 100 : DEFAULT_OVERPROVISIONING;
}

interface Placed {
  readonly endpoint: XdsMessage;
  readonly zone: string;
  readonly subZone?: string;
  readonly priority: number;
  /** The locality's weight when it is not the endpoint count (an affinity tag's weight). */
  readonly weight?: number;
}

/** Each affinity tag the proxy itself carries, with its value and weight (Kuma getLocalLbGroups: 9 × 10^(n-i-1) when unset). */
function affinityGroups(locality: MeshLoadBalancingStrategyLocalityAwareness, proxy: ProxyView): { key: string; value: string; weight: number }[] {
  const tags = locality.localZone?.affinityTags ?? [];
  return tags.flatMap((tag, i) => {
    const value = proxy.inbounds.find((inbound) => inbound.tags[tag.key] !== undefined)?.tags[tag.key];
    return value === undefined ? [] : [{ key: tag.key, value, weight: tag.weight ?? 9 * 10 ** (tags.length - i - 1) }];
  });
}

/**
 * The priority of a remote endpoint's zone by `crossZone.failover` (Kuma getCrossZoneLbGroups and
 * configureCrossZoneEndpointLocality): rules that apply to the local zone (`from` absent or
 * naming it) are read in order, rule i giving priority i+1; the first rule the zone passes wins;
 * a `None` rule ends the search. undefined: the endpoint is left out.
 */
function failoverPriority(locality: MeshLoadBalancingStrategyLocalityAwareness, localZone: string, zone: string): number | undefined {
  const rules = locality.crossZone?.failover ?? [];
  for (const [i, rule] of rules.entries()) {
    if (rule.from && !rule.from.zones.includes(localZone)) continue;
    const zones = rule.to.zones ?? [];
    switch (rule.to.type) {
      case 'None':
        return undefined;
      case 'Any':
        return i + 1;
      case 'Only':
        if (zones.includes(zone)) return i + 1;
        break;
      case 'AnyExcept':
        if (!zones.includes(zone)) return i + 1;
        break;
    }
  }
  return undefined;
}

/**
 * Rebuilds a ClusterLoadAssignment's localities for locality-aware load balancing. Endpoints are
 * placed by their kuma.io/zone tag (one without it counts as local):
 * - no `localZone`/`crossZone`: the local zone at priority 0, every other zone at priority 1;
 * - with them: local endpoints at priority 0, in a `key=value` sub-zone of the first affinity tag
 *   they share with the proxy (that tag's weight) or else the rest of the zone (weight 1 when
 *   affinity tags apply); remote endpoints by `crossZone.failover`, or left out.
 * Priorities are then renumbered to be contiguous from 0 (Envoy and gRPC require it; the order is
 * kept, so the failover behaves alike). A locality weighs its endpoint count unless stated above.
 * Pure: reads `tags` for each endpoint address; idempotent.
 */
function placeEndpoints(cla: XdsMessage, locality: MeshLoadBalancingStrategyLocalityAwareness | undefined, localZone: string, proxy: ProxyView, tagsOf: (endpoint: XdsMessage) => Readonly<Record<string, string>>): void {
  const groups = locality && (locality.localZone !== undefined || locality.crossZone !== undefined) ? locality : undefined;
  const affinity = groups ? affinityGroups(groups, proxy) : [];
  const placed: Placed[] = [];
  for (const lle of (cla.endpoints as XdsMessage[] | undefined) ?? []) {
    for (const endpoint of (lle.lb_endpoints as XdsMessage[] | undefined) ?? []) {
      const tags = tagsOf(endpoint);
      // The locality names the zone the endpoint declares; one without a zone counts as local.
      const zone = tags[ZONE_TAG] ?? '';
      if (zone === localZone || zone === '') {
        const group = affinity.find((g) => tags[g.key] === g.value);
        if (group) placed.push({ endpoint, zone, subZone: `${group.key}=${group.value}`, priority: 0, weight: group.weight });
        else placed.push({ endpoint, zone, priority: 0, ...(affinity.length > 0 && { weight: 1 }) });
      } else if (!groups) {
        placed.push({ endpoint, zone, priority: 1 });
      } else {
        const priority = failoverPriority(groups, localZone, zone);
        if (priority !== undefined) placed.push({ endpoint, zone, priority });
      }
    }
  }
  const priorities = [...new Set(placed.map((p) => p.priority))].sort((a, b) => a - b);
  const byLocality = new Map<string, { zone: string; subZone?: string; priority: number; weight?: number; endpoints: XdsMessage[] }>();
  for (const p of placed) {
    const priority = priorities.indexOf(p.priority);
    const key = JSON.stringify([priority, p.zone, p.subZone ?? '']);
    const entry = byLocality.get(key);
    if (entry) entry.endpoints.push(p.endpoint);
    else byLocality.set(key, { zone: p.zone, ...(p.subZone !== undefined && { subZone: p.subZone }), priority, ...(p.weight !== undefined && { weight: p.weight }), endpoints: [p.endpoint] });
  }
  const localities = [...byLocality.entries()]
    .sort(([a], [b]) => {
      const [pa, za, sa] = JSON.parse(a) as [number, string, string];
      const [pb, zb, sb] = JSON.parse(b) as [number, string, string];
      return pa - pb || (za < zb ? -1 : za > zb ? 1 : 0) || (sa < sb ? -1 : sa > sb ? 1 : 0);
    })
    .map(([, l]) => ({
      locality: { ...(l.zone !== '' && { zone: l.zone }), ...(l.subZone !== undefined && { sub_zone: l.subZone }) },
      lb_endpoints: l.endpoints,
      load_balancing_weight: l.weight ?? l.endpoints.length,
      ...(l.priority > 0 && { priority: l.priority }),
    }));
  if (localities.length > 0) cla.endpoints = localities;
  else delete cla.endpoints;
}

/** Endpoint tags by `address:port`, from the service the cluster serves. */
function endpointTags(ctx: OutboundContext): (endpoint: XdsMessage) => Readonly<Record<string, string>> {
  const byAddress = new Map((ctx.service?.endpoints ?? []).map((e) => [`${e.address}:${e.port}`, e.tags]));
  return (endpoint) => {
    const socket = ((endpoint.endpoint as XdsMessage | undefined)?.address as XdsMessage | undefined)?.socket_address as XdsMessage | undefined;
    return byAddress.get(`${String(socket?.address)}:${String(socket?.port_value)}`) ?? {};
  };
}

const to = (ctx: OutboundContext) => `to ${ctx.outbound.service}`;

/**
 * MeshLoadBalancingStrategy's hooks (KUMA.md §4).
 * - `cluster`: lb_policy (LEAST_REQUEST, RING_HASH, RANDOM, MAGLEV; ROUND_ROBIN by default) with
 *   least_request_lb_config {choice_count, active_request_bias}, ring_hash_lb_config
 *   {minimum_ring_size, maximum_ring_size, hash_function} or maglev_lb_config {table_size};
 *   common_lb_config.locality_weighted_lb_config when affinity tags weigh the local zone.
 * - `route`: RouteAction.hash_policy (header, cookie, connection_properties source_ip,
 *   query_parameter, filter_state; terminal).
 * - `endpoints`: locality-aware priorities and weights (placeEndpoints) and
 *   policy.overprovisioning_factor (from failoverThreshold) when localZone/crossZone is set.
 *   The local zone is the proxy's first inbound's kuma.io/zone tag: without it, nothing is
 *   changed (every endpoint stays at priority 0) and an explicit localZone/crossZone is reported
 *   GM404. `disabled: true` turns all of it off.
 * Proxyless gRPC clients accept ROUND_ROBIN and RING_HASH (XX_HASH) only: any other type is still
 * emitted, so the client NACKs the cluster, and reported GM401. They hash on headers (and their
 * channel id) only, and ignore overprovisioning: GM401 for the rest, which is left out.
 */
export const meshLoadBalancingStrategyXds: XdsHooks = {
  cluster(cluster, ctx) {
    const conf = ctx.conf;
    if (!isConf(conf)) return;
    const lb = conf.loadBalancer;
    if (lb) {
      applyLoadBalancer(cluster, lb);
      if (ctx.proxy.flavour === 'grpc') {
        if (lb.type !== 'RoundRobin' && lb.type !== 'RingHash') {
          ctx.report('GM401', `loadBalancer ${lb.type} (${to(ctx)}): proxyless gRPC clients accept only RoundRobin and RingHash and reject (NACK) this cluster`);
        } else if (lb.type === 'RingHash' && lb.ringHash?.hashFunction === 'MurmurHash2') {
          ctx.report('GM401', `loadBalancer ringHash.hashFunction MurmurHash2 (${to(ctx)}): proxyless gRPC clients hash only with XXHash and reject (NACK) this cluster`);
        }
      }
    }
    if (conf.localityAwareness) {
      const locality = activeLocality(conf);
      setLocalityWeighted(cluster, Boolean(locality?.localZone?.affinityTags?.length) && proxyZone(ctx.proxy) !== undefined);
    }
  },
  route(route, ctx) {
    const conf = ctx.conf;
    const action = route.route as XdsMessage | undefined;
    if (!isConf(conf) || !action) return;
    const policies = hashPoliciesOf(conf);
    if (!policies) return;
    const type = conf.loadBalancer?.type ?? 'RoundRobin';
    if (type !== 'RingHash' && type !== 'Maglev') {
      ctx.report('GM404', `hashPolicies (${to(ctx)}): the load balancer is ${type}, and only RingHash and Maglev pick endpoints by hash; the hashes are computed but unused`);
    }
    let kept = policies;
    if (ctx.proxy.flavour === 'grpc') {
      kept = policies.filter(grpcHashes);
      for (const dropped of policies.filter((p) => !grpcHashes(p))) {
        const what = dropped.type === 'FilterState' ? `FilterState ${dropped.filterState?.key ?? ''}` : dropped.type;
        ctx.report('GM401', `hashPolicies ${what} (${to(ctx)}): proxyless gRPC clients hash only on headers and on the filter state ${GRPC_CHANNEL_ID}; it is left out`);
      }
    }
    if (kept.length > 0) action.hash_policy = kept.map(hashPolicy);
    else delete action.hash_policy;
  },
  endpoints(cla, ctx) {
    const conf = ctx.conf;
    if (!isConf(conf)) return;
    const locality = activeLocality(conf);
    if (!locality && conf.localityAwareness?.disabled === true) return;
    const localZone = proxyZone(ctx.proxy);
    const explicit = locality && (locality.localZone !== undefined || locality.crossZone !== undefined);
    if (localZone === undefined) {
      if (explicit) ctx.report('GM404', `localityAwareness (${to(ctx)}): the proxy's zone is unknown (its first inbound has no kuma.io/zone tag), so every endpoint stays at priority 0 and the locality rules are not applied`);
      return;
    }
    placeEndpoints(cla, locality, localZone, ctx.proxy, endpointTags(ctx));
    if (!explicit || !locality) return;
    if (ctx.proxy.flavour === 'grpc') {
      if (locality.crossZone?.failoverThreshold !== undefined) {
        ctx.report('GM401', `localityAwareness.crossZone.failoverThreshold (${to(ctx)}): proxyless gRPC clients do not support overprovisioning; a priority takes traffic only once the higher ones have no ready endpoint`);
      }
      return;
    }
    cla.policy = { ...((cla.policy as XdsMessage | undefined) ?? {}), overprovisioning_factor: overprovisioningFactor(locality) };
  },
  outboundTcpProxy(_tcpProxy, ctx) {
    const conf = ctx.conf;
    if (isConf(conf) && hashPoliciesOf(conf)) {
      ctx.report('GM404', `hashPolicies (${to(ctx)}): ${ctx.outbound.service} is a ${ctx.outbound.protocol} service, and hash policies apply to HTTP routes (as in Kuma); connections are hashed on nothing`);
    }
  },
};
