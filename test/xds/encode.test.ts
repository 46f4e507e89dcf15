// encodeResource/decodeResource: round trips, upstream agreement, determinism, strictness, and the gRPC client as oracle.
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeResource, encodeResource, XdsCodecError, type XdsJsonObject } from '../../src/xds/encode.js';
import { protoFiles, protoRoot, protosDir } from '../../src/xds/protos.js';
import { TYPE_URLS } from '../../src/xds/type-urls.js';
import { grpcClientAccepts } from '../helpers/grpc-oracle.js';
import {
  CLUSTER,
  INBOUND_LISTENER,
  LOAD_ASSIGNMENT,
  PROXYLESS_CLUSTER,
  PROXYLESS_LISTENER,
  PROXYLESS_LOAD_ASSIGNMENT,
  PROXYLESS_ROUTES,
  ROUTE_CONFIGURATION,
  TCP_LISTENER,
} from './resources.js';
import { loadUpstreamRoot } from './upstream-root.js';

const OTEL_FILE = 'opentelemetry/proto/common/v1/common.proto';
const upstream = loadUpstreamRoot(protoFiles(protosDir()).filter((file) => file !== OTEL_FILE), { [OTEL_FILE]: join(protosDir(), OTEL_FILE) });

const CASES: readonly (readonly [string, string, XdsJsonObject])[] = [
  ['inbound HTTP listener', TYPE_URLS.lds, INBOUND_LISTENER],
  ['inbound TCP listener', TYPE_URLS.lds, TCP_LISTENER],
  ['EDS cluster', TYPE_URLS.cds, CLUSTER],
  ['load assignment', TYPE_URLS.eds, LOAD_ASSIGNMENT],
  ['route configuration', TYPE_URLS.rds, ROUTE_CONFIGURATION],
  ['proxyless listener', TYPE_URLS.lds, PROXYLESS_LISTENER],
  ['proxyless routes', TYPE_URLS.rds, PROXYLESS_ROUTES],
  ['proxyless cluster', TYPE_URLS.cds, PROXYLESS_CLUSTER],
  ['proxyless load assignment', TYPE_URLS.eds, PROXYLESS_LOAD_ASSIGNMENT],
];

/** A deep copy with every object's keys in reverse order. */
function reversed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversed);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).reverse().map(([key, item]) => [key, reversed(item)]));
}

/** protobufjs's own view of `bytes` through `root`: what a peer built on that root would read. */
function seenBy(root: protobuf.Root, typeUrl: string, bytes: Uint8Array): unknown {
  const type = root.lookupType(`.${typeUrl.slice(typeUrl.lastIndexOf('/') + 1)}`);
  return type.toObject(type.decode(bytes), { longs: String, enums: String, bytes: String, json: true });
}

function codecError(run: () => unknown): XdsCodecError {
  try {
    run();
  } catch (error) {
    if (error instanceof XdsCodecError) return error;
    throw error;
  }
  assert.unreachable('expected an XdsCodecError, nothing was thrown');
  throw new Error('unreachable');
}

for (const [name, typeUrl, json] of CASES) {
  test(`${name}: decoding the encoded bytes gives back the same JSON`, () => {
    assert.equal(decodeResource(typeUrl, encodeResource(typeUrl, json)), json);
  });

  test(`${name}: the upstream definitions read the bytes as our definitions do, and re-encode them identically`, () => {
    const bytes = encodeResource(typeUrl, json);
    assert.equal(seenBy(upstream, typeUrl, bytes), seenBy(protoRoot(), typeUrl, bytes));
    const type = upstream.lookupType(`.${typeUrl.slice(typeUrl.lastIndexOf('/') + 1)}`);
    assert.equal(new Uint8Array(type.encode(type.decode(bytes)).finish()), bytes);
  });

  test(`${name}: the bytes do not depend on the key order of the JSON`, () => {
    assert.equal(encodeResource(typeUrl, reversed(json)), encodeResource(typeUrl, json));
  });
}

test('the same JSON gives the same bytes on every call', () => {
  assert.equal(encodeResource(TYPE_URLS.lds, INBOUND_LISTENER), encodeResource(TYPE_URLS.lds, structuredClone(INBOUND_LISTENER)));
});

test('map entries and Struct fields are written in key order', () => {
  const a = { cluster_name: 'c', endpoints: [{ lb_endpoints: [{ metadata: { filter_metadata: { b: { y: 1, x: 2 }, a: { z: true } } } }] }] };
  const b = { cluster_name: 'c', endpoints: [{ lb_endpoints: [{ metadata: { filter_metadata: { a: { z: true }, b: { x: 2, y: 1 } } } }] }] };
  const bytes = encodeResource(TYPE_URLS.eds, a);
  assert.equal(bytes, encodeResource(TYPE_URLS.eds, b));
  // then "a" (0x61) is written before "b" (0x62)
  const text = Buffer.from(bytes).toString('latin1');
  assert.ok(text.indexOf('\x01a') < text.indexOf('\x01b'));
});

test('an unknown field is an error naming its path', () => {
  const listener = structuredClone(INBOUND_LISTENER) as { filter_chains: { filters: { typed_config: Record<string, unknown> }[] }[] };
  listener.filter_chains[0]!.filters[0]!.typed_config['stream_idle_timout'] = '5s';
  const error = codecError(() => encodeResource(TYPE_URLS.lds, listener));
  assert.is(error.path, 'filter_chains[0].filters[0].typed_config.stream_idle_timout');
  assert.match(error.message, /unknown field "stream_idle_timout" in envoy\.extensions\.filters\.network\.http_connection_manager\.v3\.HttpConnectionManager/);
  assert.is(error.code, 'XdsCodec');
});

test('camelCase names are unknown fields: the contract is snake_case', () => {
  const error = codecError(() => encodeResource(TYPE_URLS.cds, { name: 'a', connectTimeout: '1s' }));
  assert.is(error.path, 'connectTimeout');
});

test('a value of the wrong type is an error naming its path', () => {
  const cases: [unknown, string, RegExp][] = [
    [{ name: 1 }, 'name', /expected a string, got number 1/],
    [{ name: 'a', connect_timeout: 5 }, 'connect_timeout', /expected a duration/],
    [{ name: 'a', connect_timeout: '5' }, 'connect_timeout', /expected a duration/],
    [{ name: 'a', connect_timeout: '1m' }, 'connect_timeout', /expected a duration/],
    [{ name: 'a', lb_policy: 'ROUND_ROBINN' }, 'lb_policy', /a name of enum envoy\.config\.cluster\.v3\.Cluster\.LbPolicy/],
    [{ name: 'a', lb_policy: 4 }, 'lb_policy', /a name of enum/],
    [{ name: 'a', per_connection_buffer_limit_bytes: -1 }, 'per_connection_buffer_limit_bytes', /uint32/],
    [{ name: 'a', per_connection_buffer_limit_bytes: 2 ** 32 }, 'per_connection_buffer_limit_bytes', /uint32/],
    [{ name: 'a', per_connection_buffer_limit_bytes: 1.5 }, 'per_connection_buffer_limit_bytes', /uint32/],
    [{ name: 'a', ring_hash_lb_config: { minimum_ring_size: 2 ** 60 } }, 'ring_hash_lb_config.minimum_ring_size', /decimal string/],
    [{ name: 'a', ring_hash_lb_config: { minimum_ring_size: '-1' } }, 'ring_hash_lb_config.minimum_ring_size', /uint64/],
    [{ name: 'a', respect_dns_ttl: 'true' }, 'respect_dns_ttl', /true or false/],
    [{ name: 'a', health_checks: {} }, 'health_checks', /expected an array/],
    [{ name: 'a', health_checks: [null] }, 'health_checks[0]', /null is not allowed/],
    [{ name: 'a', eds_cluster_config: 'x' }, 'eds_cluster_config', /expected an object/],
    [{ name: 'a', typed_extension_protocol_options: [] }, 'typed_extension_protocol_options', /expected an object \(a map\)/],
    [{ name: 'a', typed_extension_protocol_options: { x: { value: 1 } } }, 'typed_extension_protocol_options["x"].@type', /needs "@type"/],
    [{ name: 'a', typed_extension_protocol_options: { x: { '@type': 'type.googleapis.com/envoy.Nope' } } }, 'typed_extension_protocol_options["x"].@type', /no message type for "type\.googleapis\.com\/envoy\.Nope"/],
    [{ name: 'a', metadata: { filter_metadata: { x: { n: Infinity } } } }, 'metadata.filter_metadata["x"].fields["n"]', /cannot hold Infinity/],
    [{ name: 'a', metadata: { filter_metadata: { x: [] } } }, 'metadata.filter_metadata["x"]', /a Struct/],
  ];
  for (const [json, path, message] of cases) {
    const error = codecError(() => encodeResource(TYPE_URLS.cds, json));
    assert.is(error.path, path, JSON.stringify(json));
    assert.match(error.message, message);
  }
});

test('two members of one oneof are an error', () => {
  const error = codecError(() => encodeResource(TYPE_URLS.rds, { name: 'r', virtual_hosts: [{ name: 'v', routes: [{ match: { prefix: '/', path: '/a' } }] }] }));
  assert.is(error.path, 'virtual_hosts[0].routes[0].match.path');
  assert.match(error.message, /"prefix" and "path" are both set, but are members of oneof path_specifier/);
});

test('a top-level @type must name the resource type', () => {
  assert.equal(encodeResource(TYPE_URLS.cds, { '@type': TYPE_URLS.cds, name: 'a' }), encodeResource(TYPE_URLS.cds, { name: 'a' }));
  assert.is(codecError(() => encodeResource(TYPE_URLS.cds, { '@type': TYPE_URLS.lds, name: 'a' })).path, '@type');
  assert.match(codecError(() => encodeResource('type.googleapis.com/envoy.config.cluster.v3.Nope', {})).message, /no message type/);
});

test('durations are read in every proto3 form and printed with the fewest digits', () => {
  const decode = (text: string) => (decodeResource(TYPE_URLS.cds, encodeResource(TYPE_URLS.cds, { connect_timeout: text })) as { connect_timeout?: string }).connect_timeout;
  assert.is(decode('7s'), '7s');
  assert.is(decode('1.5s'), '1.5s');
  assert.is(decode('1.500s'), '1.5s');
  assert.is(decode('0.000000001s'), '0.000000001s');
  assert.is(decode('0.025s'), '0.025s');
  assert.is(decode('-1.25s'), '-1.25s');
  assert.is(decode('-0.5s'), '-0.5s');
  assert.is(decode('0s'), '0s');
  assert.is(decode('315576000000s'), '315576000000s');
  assert.is(codecError(() => encodeResource(TYPE_URLS.cds, { connect_timeout: '315576000001s' })).path, 'connect_timeout');
  assert.is(codecError(() => encodeResource(TYPE_URLS.cds, { connect_timeout: '1.0000000001s' })).path, 'connect_timeout');
});

test('wrappers are bare values, and a wrapped default is still present', () => {
  const json = {
    name: 'a',
    per_connection_buffer_limit_bytes: 0,
    wait_for_warm_on_init: false,
    ring_hash_lb_config: { minimum_ring_size: '0', maximum_ring_size: '8388608' },
    preconnect_policy: { per_upstream_preconnect_ratio: 1.5 },
  };
  assert.equal(decodeResource(TYPE_URLS.cds, encodeResource(TYPE_URLS.cds, json)), json);
  assert.equal(
    decodeResource(TYPE_URLS.cds, encodeResource(TYPE_URLS.cds, { ring_hash_lb_config: { minimum_ring_size: 1024 } })),
    { ring_hash_lb_config: { minimum_ring_size: '1024' } },
  );
});

test('proto3 defaults are left out, but oneof members and messages stay', () => {
  const json = { name: 'a', type: 'STATIC', lb_policy: 'ROUND_ROBIN', alt_stat_name: '', respect_dns_ttl: false, eds_cluster_config: {}, close_connections_on_host_health_failure: false };
  // type is a oneof member: STATIC (0) is written; the rest are defaults, except the message
  assert.equal(decodeResource(TYPE_URLS.cds, encodeResource(TYPE_URLS.cds, json)), { name: 'a', type: 'STATIC', eds_cluster_config: {} });
  assert.equal(encodeResource(TYPE_URLS.cds, json), encodeResource(TYPE_URLS.cds, { name: 'a', type: 'STATIC', eds_cluster_config: {} }));
  // null and undefined stand for absent fields
  assert.equal(encodeResource(TYPE_URLS.cds, { name: 'a', alt_stat_name: null, metadata: undefined }), encodeResource(TYPE_URLS.cds, { name: 'a' }));
});

test('enums are accepted by number and printed by name', () => {
  assert.equal(decodeResource(TYPE_URLS.cds, encodeResource(TYPE_URLS.cds, { lb_policy: 2 })), { lb_policy: 'RING_HASH' });
});

test('an Any carries well-known types as {"@type", "value"}, and Timestamp, Struct and nested Any round-trip', () => {
  const any = (type: string, value: unknown) => ({ '@type': `type.googleapis.com/google.protobuf.${type}`, value });
  const json = {
    cluster_name: 'c',
    endpoints: [
      {
        metadata: {
          typed_filter_metadata: {
            duration: any('Duration', '-0.25s'),
            timestamp: any('Timestamp', '2024-05-01T10:00:00.5Z'),
            epoch: any('Timestamp', '1970-01-01T00:00:00Z'),
            old: any('Timestamp', '0001-01-01T00:00:00Z'),
            struct: any('Struct', { a: [1, 'two', null, { b: false }], c: {} }),
            value: any('Value', 'text'),
            list: any('ListValue', [1, 2]),
            u64: any('UInt64Value', '18446744073709551615'),
            i64: any('Int64Value', '-9223372036854775808'),
            double: any('DoubleValue', 'NaN'),
            float: any('FloatValue', 0.1),
            bytes: any('BytesValue', 'AAEC/w=='),
            string: any('StringValue', 'x'),
            empty_wrapper: { '@type': 'type.googleapis.com/google.protobuf.BoolValue' },
            nested: any('Any', { '@type': 'type.googleapis.com/envoy.config.core.v3.Locality', zone: 'z' }),
            empty: { '@type': 'type.googleapis.com/google.protobuf.Empty' },
          },
        },
      },
    ],
  };
  const decoded = decodeResource(TYPE_URLS.eds, encodeResource(TYPE_URLS.eds, json));
  const expected = structuredClone(json);
  // a wrapper holding its default has an empty body, which decodes back as the default
  (expected.endpoints[0]!.metadata.typed_filter_metadata as Record<string, unknown>)['empty_wrapper'] = any('BoolValue', false);
  assert.equal(decoded, expected);
  assert.equal(
    decodeResource(TYPE_URLS.eds, encodeResource(TYPE_URLS.eds, { endpoints: [{ metadata: { typed_filter_metadata: { t: any('Timestamp', '2024-05-01T12:30:00.100+02:30') } } }] })),
    { endpoints: [{ metadata: { typed_filter_metadata: { t: any('Timestamp', '2024-05-01T10:00:00.1Z') } } }] },
  );
  assert.match(codecError(() => encodeResource(TYPE_URLS.eds, { endpoints: [{ metadata: { typed_filter_metadata: { t: any('Timestamp', '2024-02-30T00:00:00Z') } } }] })).message, /RFC 3339/);
  assert.match(codecError(() => encodeResource(TYPE_URLS.eds, { endpoints: [{ metadata: { typed_filter_metadata: { d: { ...any('Duration', '1s'), extra: 1 } } } }] })).message, /holds only "@type" and "value"/);
});

test('bytes are base64, URL-safe accepted, standard printed', () => {
  const json = { endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '10.0.0.1', port_value: 1 } } } }] }] };
  const hc = (binary: string) => ({ name: 'a', health_checks: [{ tcp_health_check: { send: { binary } } }] });
  assert.equal(decodeResource(TYPE_URLS.cds, encodeResource(TYPE_URLS.cds, hc('-_8'))), hc('+/8='));
  assert.is(codecError(() => encodeResource(TYPE_URLS.cds, hc('not base64!'))).path, 'health_checks[0].tcp_health_check.send.binary');
  assert.ok(encodeResource(TYPE_URLS.eds, json).length > 0);
});

test('bytes that are not the resource are an error', () => {
  assert.match(codecError(() => decodeResource(TYPE_URLS.cds, new Uint8Array([0x0a, 0xff]))).message, /do not parse as envoy\.config\.cluster\.v3\.Cluster/);
});

test('the ADS messages go through the same codec: a DiscoveryRequest with node metadata and a NACK', () => {
  const url = 'type.googleapis.com/envoy.service.discovery.v3.DiscoveryRequest';
  const request = {
    version_info: '4f2a',
    node: {
      id: 'default.backend-1',
      locality: { zone: 'zone-a' },
      metadata: { 'gitmesh.io/proxyless': true, dataplane: { networking: { address: '10.0.0.7' } } },
      user_agent_name: 'grpc-node-js',
      user_agent_version: '1.14.1',
      client_features: ['envoy.lb.does_not_support_overprovisioning'],
    },
    resource_names: ['backend'],
    type_url: TYPE_URLS.lds,
    response_nonce: '7',
    error_detail: { code: 3, message: 'Listener message validation failed', details: [{ '@type': 'type.googleapis.com/google.protobuf.StringValue', value: 'x' }] },
  };
  assert.equal(decodeResource(url, encodeResource(url, request)), request);
});

test('the gRPC client accepts the proxyless listener, routes, cluster and endpoints', () => {
  for (const [typeUrl, json] of [
    [TYPE_URLS.lds, PROXYLESS_LISTENER],
    [TYPE_URLS.rds, PROXYLESS_ROUTES],
    [TYPE_URLS.cds, PROXYLESS_CLUSTER],
    [TYPE_URLS.eds, PROXYLESS_LOAD_ASSIGNMENT],
  ] as const) {
    assert.equal(grpcClientAccepts(typeUrl, encodeResource(typeUrl, json)), { ok: true }, JSON.stringify(json));
  }
});

test('the gRPC client rejects what it would NACK: MAGLEV, a chain without the router last, a hostname endpoint', () => {
  const maglev = grpcClientAccepts(TYPE_URLS.cds, encodeResource(TYPE_URLS.cds, { ...PROXYLESS_CLUSTER, lb_policy: 'MAGLEV' }));
  assert.is(maglev.ok, false);
  assert.match(maglev.error ?? '', /unsupported lb_policy: MAGLEV/);

  const fault = { name: 'envoy.filters.http.fault', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault' } };
  const hcm = (PROXYLESS_LISTENER['api_listener'] as { api_listener: XdsJsonObject }).api_listener;
  const noRouter = { name: 'backend', api_listener: { api_listener: { ...hcm, http_filters: [fault] } } };
  const verdict = grpcClientAccepts(TYPE_URLS.lds, encodeResource(TYPE_URLS.lds, noRouter));
  assert.is(verdict.ok, false);
  assert.match(verdict.error ?? '', /final filter is type\.googleapis\.com\/envoy\.extensions\.filters\.http\.fault\.v3\.HTTPFault/);

  const hostname = { cluster_name: 'c', endpoints: [{ locality: {}, load_balancing_weight: 1, lb_endpoints: [{ endpoint: { address: { socket_address: { address: 'backend.local', port_value: 1 } } } }] }] };
  const byName = grpcClientAccepts(TYPE_URLS.eds, encodeResource(TYPE_URLS.eds, hostname));
  assert.is(byName.ok, false);
  assert.match(byName.error ?? '', /not a valid IPv4 or IPv6 address/);

  assert.is(grpcClientAccepts(TYPE_URLS.sds, new Uint8Array()).ok, false);
});

test.run();
