// Snapshots: content-derived versions, one encoding shared per content, frozen values, and the consistency check (GM402).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ProxyXds } from '../../src/compile/compile.js';
import { typed, TYPE, type XdsMessage } from '../../src/core/xds-json.js';
import { checkConsistent, EncodeCache, makeSnapshot, type Snapshot } from '../../src/xds/snapshot.js';
import { PUSH_ORDER, TYPE_URLS } from '../../src/xds/type-urls.js';
import { compileAll, exampleFiles, validResources } from '../compile/example-repo-compile.js';

const ADS = { ads: {}, resource_api_version: 'V3' };
const ROUTER = { name: 'envoy.filters.http.router', typed_config: typed(TYPE.router) };

function edsCluster(name: string, extra: XdsMessage = {}): XdsMessage {
  return { name, type: 'EDS', eds_cluster_config: { eds_config: ADS }, ...extra };
}

function loadAssignment(cluster: string, address = '10.0.0.1', port = 8080): XdsMessage {
  return {
    cluster_name: cluster,
    endpoints: [{ locality: {}, lb_endpoints: [{ endpoint: { address: { socket_address: { address, port_value: port } } }, load_balancing_weight: 1 }], load_balancing_weight: 1 }],
  };
}

function hcm(routeConfigName: string): XdsMessage {
  return typed(TYPE.hcm, { stat_prefix: 'out', rds: { config_source: ADS, route_config_name: routeConfigName }, http_filters: [ROUTER] });
}

function httpListener(name: string, routeConfigName: string, port = 10001): XdsMessage {
  return {
    name,
    address: { socket_address: { address: '127.0.0.1', port_value: port } },
    traffic_direction: 'OUTBOUND',
    filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: hcm(routeConfigName) }] }],
  };
}

function tcpListener(name: string, tcpProxy: XdsMessage, port = 10002): XdsMessage {
  return {
    name,
    address: { socket_address: { address: '127.0.0.1', port_value: port } },
    filter_chains: [{ filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: typed(TYPE.tcpProxy, { stat_prefix: 'tcp', ...tcpProxy }) }] }],
  };
}

function routeConfig(name: string, action: XdsMessage): XdsMessage {
  return { name, virtual_hosts: [{ name: 'web', domains: ['*'], routes: [{ match: { prefix: '/' }, route: action }] }] };
}

/** A small, consistent sidecar: an HTTP outbound to `web` and a TCP outbound to `db`. */
function sidecar(): ProxyXds {
  return {
    listeners: [httpListener('outbound:127.0.0.1:10001', 'outbound:web'), tcpListener('outbound:127.0.0.1:10002', { cluster: 'db' })],
    clusters: [edsCluster('db'), edsCluster('web', { connect_timeout: '5s' })],
    endpoints: [loadAssignment('db', '10.0.0.9', 5432), loadAssignment('web')],
    routes: [routeConfig('outbound:web', { cluster: 'web' })],
    secrets: [],
  };
}

function messages(input: Snapshot | ProxyXds): string[] {
  return checkConsistent(input, { proxy: 'default.web-1' }).map((d) => d.message);
}

/** Asserts that the xDS and its snapshot give the same findings, each a GM402 error at (compiled) 1:1; returns the messages. */
function findings(xds: ProxyXds): string[] {
  const fromXds = checkConsistent(xds, { proxy: 'default.web-1' });
  const fromSnapshot = checkConsistent(makeSnapshot(xds, new EncodeCache()), { proxy: 'default.web-1' });
  assert.equal(fromSnapshot, fromXds, 'the snapshot and the compiled JSON give different findings');
  for (const d of fromXds) {
    assert.is(d.code, 'GM402');
    assert.is(d.severity, 'error');
    assert.equal([d.file, d.line, d.column], ['(compiled)', 1, 1]);
  }
  return fromXds.map((d) => d.message);
}

// ---------------------------------------------------------------------------------------------
// Versions.

test('versions are 16 hex digits of a content hash, equal for equal content whatever cache built them', () => {
  // given the same xDS, built twice through two unrelated caches
  const a = makeSnapshot(sidecar(), new EncodeCache());
  const b = makeSnapshot(structuredClone(sidecar()), new EncodeCache());
  // then every type has the same version, and it looks like a truncated sha256
  assert.equal(a.versions, b.versions);
  for (const type of PUSH_ORDER) assert.match(a.versions[type], /^[0-9a-f]{16}$/);
  assert.equal(new Set(Object.values(a.versions)).size, PUSH_ORDER.length, 'types with different content share a version');
});

test('changing one cluster changes the CDS version only', () => {
  const before = makeSnapshot(sidecar(), new EncodeCache());
  // given the same proxy where one cluster's connect timeout moved
  const changed = sidecar();
  changed.clusters[1] = edsCluster('web', { connect_timeout: '7s' });
  const after = makeSnapshot(changed, new EncodeCache());
  // then CDS has a new version and every other type keeps its own
  assert.is.not(after.versions.cds, before.versions.cds);
  for (const type of PUSH_ORDER.filter((t) => t !== 'cds')) assert.is(after.versions[type], before.versions[type], type);
});

test('the order compile lists resources in, and the key order of their objects, change neither versions nor order', () => {
  const reference = makeSnapshot(sidecar(), new EncodeCache());
  // given the lists reversed, and every object's keys reversed
  const reverseKeys = (value: unknown): unknown =>
    Array.isArray(value) ? value.map(reverseKeys) : value && typeof value === 'object' ? Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reverseKeys(v)])) : value;
  const base = sidecar();
  const shuffled = Object.fromEntries(Object.entries(base).map(([key, list]) => [key, (list as XdsMessage[]).map(reverseKeys).reverse()])) as unknown as ProxyXds;
  const snapshot = makeSnapshot(shuffled, new EncodeCache());
  // then the snapshot is the same: versions, names in order, bytes
  assert.equal(snapshot.versions, reference.versions);
  for (const type of PUSH_ORDER) {
    assert.equal(snapshot.resources[type].map((r) => r.name), reference.resources[type].map((r) => r.name));
    assert.equal(snapshot.resources[type].map((r) => r.bytes), reference.resources[type].map((r) => r.bytes));
  }
  assert.equal(reference.resources.cds.map((r) => r.name), ['db', 'web']);
});

test('a renamed resource with the same content changes the version (names are part of it)', () => {
  const before = makeSnapshot(sidecar(), new EncodeCache());
  const renamed = sidecar();
  renamed.routes[0] = routeConfig('outbound:web2', { cluster: 'web' });
  assert.is.not(makeSnapshot(renamed, new EncodeCache()).versions.rds, before.versions.rds);
});

// ---------------------------------------------------------------------------------------------
// The encode cache.

test('two proxies with an identical cluster share one encoded resource and one bytes object', () => {
  const cache = new EncodeCache();
  // given two proxies whose `web` cluster is equal but built separately
  const one = makeSnapshot(sidecar(), cache);
  const other = sidecar();
  other.clusters.splice(0, 1); // no `db`: the proxies differ
  const two = makeSnapshot(other, cache);
  // then they hold the very same EncodedResource, bytes included
  const web1 = one.resources.cds.find((r) => r.name === 'web')!;
  const web2 = two.resources.cds.find((r) => r.name === 'web')!;
  assert.ok(web1 === web2, 'not the same EncodedResource');
  assert.ok(web1.bytes === web2.bytes, 'not the same bytes object');
  assert.is.not(one.versions.cds, two.versions.cds);
  assert.equal(cache.stats(), { entries: 7, hits: 6, reused: 0, encoded: 7 }, 'the second proxy encoded nothing');
});

test('equal content encodes once even when spelled differently (key order, an int64 as a number or a string)', () => {
  const cache = new EncodeCache();
  const a = cache.encodeCached(TYPE_URLS.cds, edsCluster('c', { circuit_breakers: { thresholds: [{ max_requests: 5 }] }, ignore_health_on_host_removal: true }));
  const b = cache.encodeCached(TYPE_URLS.cds, { ignore_health_on_host_removal: true, ...edsCluster('c', { circuit_breakers: { thresholds: [{ max_requests: 5 }] } }) });
  assert.ok(a === b);
  const ring = (size: number | string) => edsCluster('r', { lb_policy: 'RING_HASH', ring_hash_lb_config: { minimum_ring_size: size } });
  const ra = cache.encodeCached(TYPE_URLS.cds, ring(1024));
  const rb = cache.encodeCached(TYPE_URLS.cds, ring('1024'));
  assert.ok(ra === rb, 'same bytes, different JSON: one entry');
  assert.is(cache.stats().entries, 2);
});

test('an encoded resource carries its name, type URL and the sha256 of its bytes', () => {
  const encoded = new EncodeCache().encodeCached(TYPE_URLS.eds, loadAssignment('web'));
  assert.is(encoded.name, 'web');
  assert.is(encoded.typeUrl, TYPE_URLS.eds);
  assert.match(encoded.hash, /^[0-9a-f]{64}$/);
});

test('the next generation reuses the last one\'s entries, and forgets the generation before it', () => {
  // given generation 1 holding `old` and `kept`
  const first = new EncodeCache();
  const old1 = first.encodeCached(TYPE_URLS.cds, edsCluster('old'));
  const kept1 = first.encodeCached(TYPE_URLS.cds, edsCluster('kept'));
  // when generation 2 (the next commit) uses only `kept`
  const second = first.next();
  assert.ok(second.encodeCached(TYPE_URLS.cds, edsCluster('kept')) === kept1, 'generation 2 did not reuse the entry');
  assert.equal(second.stats(), { entries: 1, hits: 0, reused: 1, encoded: 0 });
  // then generation 3 still has `kept` (carried over by 2), but not `old`: 1 is unreachable from 3
  const third = second.next();
  assert.ok(third.encodeCached(TYPE_URLS.cds, edsCluster('kept')) === kept1);
  const old3 = third.encodeCached(TYPE_URLS.cds, edsCluster('old'));
  assert.ok(old3 !== old1, 'generation 3 reached generation 1');
  assert.equal(old3.bytes, old1.bytes);
  assert.equal(third.stats(), { entries: 2, hits: 0, reused: 1, encoded: 1 });
});

// ---------------------------------------------------------------------------------------------
// Immutability.

test('a snapshot is deeply frozen: assigning anywhere in it throws', () => {
  const snapshot = makeSnapshot(sidecar(), new EncodeCache());
  assert.ok(Object.isFrozen(snapshot) && Object.isFrozen(snapshot.resources) && Object.isFrozen(snapshot.versions));
  for (const type of PUSH_ORDER) {
    assert.ok(Object.isFrozen(snapshot.resources[type]), type);
    for (const resource of snapshot.resources[type]) assert.ok(Object.isFrozen(resource), `${type} ${resource.name}`);
  }
  assert.throws(() => ((snapshot.versions as Record<string, string>).cds = 'x'), TypeError);
  assert.throws(() => (snapshot.resources.cds as unknown[]).push({}), TypeError);
  assert.throws(() => ((snapshot.resources.cds[0] as { name: string }).name = 'x'), TypeError);
});

test('makeSnapshot does not mutate the xDS it is given', () => {
  const xds = sidecar();
  const copy = structuredClone(xds);
  makeSnapshot(xds, new EncodeCache());
  assert.equal(xds, copy);
});

// ---------------------------------------------------------------------------------------------
// Consistency (GM402).

test('a consistent sidecar has no finding', () => {
  assert.equal(findings(sidecar()), []);
});

test('a route to a missing cluster is inconsistent', () => {
  // given a route whose action names `api`, which CDS does not hold
  const xds = sidecar();
  xds.routes[0] = routeConfig('outbound:web', { cluster: 'api' });
  // then exactly that is reported, naming proxy, type, resource and field
  assert.equal(findings(xds), [
    'default.web-1: route configuration "outbound:web" (RDS) refers to cluster "api" at virtual_hosts[0].routes[0].route.cluster, which CDS does not hold',
  ]);
});

test('weighted clusters and request mirrors name clusters too', () => {
  const xds = sidecar();
  xds.routes[0] = routeConfig('outbound:web', {
    weighted_clusters: { clusters: [{ name: 'web', weight: 90 }, { name: 'web-v2', weight: 10 }] },
    request_mirror_policies: [{ cluster: 'shadow' }],
  });
  assert.equal(findings(xds), [
    'default.web-1: route configuration "outbound:web" (RDS) refers to cluster "shadow" at virtual_hosts[0].routes[0].route.request_mirror_policies[0].cluster, which CDS does not hold',
    'default.web-1: route configuration "outbound:web" (RDS) refers to cluster "web-v2" at virtual_hosts[0].routes[0].route.weighted_clusters.clusters[1].name, which CDS does not hold',
  ]);
});

test('a TCP proxy in a filter chain, and an access log gRPC service, must name clusters that exist', () => {
  const xds = sidecar();
  xds.listeners[1] = tcpListener('outbound:127.0.0.1:10002', { weighted_clusters: { clusters: [{ name: 'db', weight: 1 }, { name: 'db-16', weight: 1 }] } });
  const otel = typed(TYPE.otelAccessLog, { common_config: { log_name: 'otel', transport_api_version: 'V3', grpc_service: { envoy_grpc: { cluster_name: 'collector' } } } });
  (((xds.listeners[0]!.filter_chains as XdsMessage[])[0]!.filters as XdsMessage[])[0]!.typed_config as XdsMessage).access_log = [{ name: 'envoy.access_loggers.open_telemetry', typed_config: otel }];
  assert.equal(findings(xds), [
    'default.web-1: listener "outbound:127.0.0.1:10001" (LDS) refers to cluster "collector" at filter_chains[0].filters[0].typed_config.access_log[0].typed_config.common_config.grpc_service.envoy_grpc.cluster_name, which CDS does not hold',
    'default.web-1: listener "outbound:127.0.0.1:10002" (LDS) refers to cluster "db-16" at filter_chains[0].filters[0].typed_config.weighted_clusters.clusters[1].name, which CDS does not hold',
  ]);
});

test('an RDS name missing for an api_listener (proxyless gRPC) is inconsistent', () => {
  // given a proxyless client whose api_listener asks RDS for a route configuration that is not there
  const xds: ProxyXds = {
    listeners: [{ name: 'web', api_listener: { api_listener: hcm('outbound:web') } }],
    clusters: [edsCluster('web')],
    endpoints: [loadAssignment('web')],
    routes: [routeConfig('outbound:other', { cluster: 'web' })],
    secrets: [],
  };
  assert.equal(findings(xds), [
    'default.web-1: listener "web" (LDS) refers to route configuration "outbound:web" at api_listener.api_listener.rds.route_config_name, which RDS does not hold',
  ]);
});

test('an RDS name missing for a socket listener is inconsistent', () => {
  const xds = sidecar();
  xds.routes.splice(0, 1);
  assert.equal(findings(xds), [
    'default.web-1: listener "outbound:127.0.0.1:10001" (LDS) refers to route configuration "outbound:web" at filter_chains[0].filters[0].typed_config.rds.route_config_name, which RDS does not hold',
  ]);
});

test('an EDS cluster without its ClusterLoadAssignment is inconsistent', () => {
  // given the `db` cluster's endpoints missing, and a cluster that names its EDS service explicitly
  const xds = sidecar();
  xds.endpoints.splice(0, 1);
  xds.clusters.push(edsCluster('named', { eds_cluster_config: { eds_config: ADS, service_name: 'named-eds' } }));
  xds.endpoints.push(loadAssignment('named'));
  assert.equal(findings(xds), [
    'default.web-1: cluster "db" (CDS) is an EDS cluster, but EDS holds no load assignment "db"',
    'default.web-1: cluster "named" (CDS) is an EDS cluster, but EDS holds no load assignment "named-eds"',
  ]);
});

test('a STATIC cluster needs no load assignment, and its inline one names no cluster', () => {
  const xds = sidecar();
  xds.clusters.push({ name: 'localhost:8080', type: 'STATIC', load_assignment: loadAssignment('localhost:8080', '127.0.0.1') });
  assert.equal(findings(xds), []);
});

test('two resources of one type with the same name are inconsistent', () => {
  // given two clusters named `web` with different content
  const xds = sidecar();
  xds.clusters.push(edsCluster('web', { connect_timeout: '9s' }));
  assert.equal(findings(xds), ['default.web-1: CDS holds more than one cluster named "web"']);
  // and the snapshot keeps both, so the check can see them
  assert.equal(makeSnapshot(xds, new EncodeCache()).resources.cds.map((r) => r.name), ['db', 'web', 'web']);
});

test('an Any of a type protos/ does not define is inconsistent', () => {
  // given compiled JSON with an unknown filter type (the encoder would refuse it, so only the JSON form can hold it)
  const xds = sidecar();
  xds.listeners[1] = { ...tcpListener('outbound:127.0.0.1:10002', { cluster: 'db' }), listener_filters: [{ name: 'x', typed_config: { '@type': 'type.googleapis.com/envoy.no.such.v3.Filter' } }] };
  assert.equal(messages(xds), [
    'default.web-1: listener "outbound:127.0.0.1:10002" (LDS) holds an Any of type "type.googleapis.com/envoy.no.such.v3.Filter" at listener_filters[0].typed_config.@type, which protos/ does not define',
  ]);
});

test('a secret fetched over ADS must be in SDS', () => {
  const xds = sidecar();
  const tls = typed('envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext', {
    common_tls_context: { tls_certificate_sds_secret_configs: [{ name: 'identity', sds_config: ADS }], validation_context_sds_secret_config: { name: 'mesh-ca', sds_config: ADS } },
  });
  xds.clusters[0] = edsCluster('db', { transport_socket: { name: 'envoy.transport_sockets.tls', typed_config: tls } });
  assert.equal(findings(xds), [
    'default.web-1: cluster "db" (CDS) refers to secret "identity" at transport_socket.typed_config.common_tls_context.tls_certificate_sds_secret_configs[0].name, which SDS does not hold',
    'default.web-1: cluster "db" (CDS) refers to secret "mesh-ca" at transport_socket.typed_config.common_tls_context.validation_context_sds_secret_config.name, which SDS does not hold',
  ]);
});

test('without a proxy name, messages still name the type and resource', () => {
  const xds = sidecar();
  xds.endpoints.splice(0, 1);
  assert.equal(checkConsistent(xds).map((d) => [d.message, d.kind, d.name]), [
    ['(proxy): cluster "db" (CDS) is an EDS cluster, but EDS holds no load assignment "db"', 'Cluster', 'db'],
  ]);
});

test('every example-repo proxy compiles to a consistent xDS', async () => {
  // given every Dataplane of example-repo, compiled
  const proxies = compileAll(validResources(await exampleFiles()));
  assert.ok(proxies.length > 10);
  // then none has a GM402 finding
  const problems = proxies.flatMap((proxy) => checkConsistent(proxy.compiled.xds, { proxy: proxy.id }).map((d) => d.message));
  assert.equal(problems, []);
});

test.run();
