// protos/ against the upstream Envoy definitions in @grpc/grpc-js-xds: a wrong field number fails here (DESIGN.md §6).
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { findMessageType, loadProtos, protoFiles, protoRoot, protosDir } from '../../src/xds/protos.js';
import { TYPE_URLS } from '../../src/xds/type-urls.js';
import { compareWithUpstream, countDefinitions, loadUpstreamRoot } from './upstream-root.js';

// grpc-js-xds does not ship the OpenTelemetry protos that Envoy's OTel access logger imports:
// upstream reads ours for that one file, and OTEL_UPSTREAM below checks ours.
const OTEL_FILE = 'opentelemetry/proto/common/v1/common.proto';
const ours = loadProtos();
const upstream = loadUpstreamRoot(
  protoFiles(protosDir()).filter((file) => file !== OTEL_FILE),
  { [OTEL_FILE]: join(protosDir(), OTEL_FILE) },
);

/** open-telemetry/opentelemetry-proto opentelemetry/proto/common/v1/common.proto, transcribed (fields only). */
const OTEL_UPSTREAM = `
  syntax = "proto3";
  package opentelemetry.proto.common.v1;
  message AnyValue {
    oneof value {
      string string_value = 1; bool bool_value = 2; int64 int_value = 3; double double_value = 4;
      ArrayValue array_value = 5; KeyValueList kvlist_value = 6; bytes bytes_value = 7;
    }
  }
  message ArrayValue { repeated AnyValue values = 1; }
  message KeyValueList { repeated KeyValue values = 1; }
  message KeyValue { string key = 1; AnyValue value = 2; }
`;

function parse(text: string): protobuf.Root {
  const root = protobuf.parse(text, { keepCase: true }).root;
  root.resolveAll();
  return root;
}

test('every message, field, enum value and method in protos/ matches upstream', () => {
  // given protos/ and the upstream files of the same paths
  // when every definition of ours is looked up upstream
  const problems = compareWithUpstream(ours, upstream, (name) => name.startsWith('opentelemetry.'));
  // then none differs
  assert.equal(problems, []);
});

test('the OpenTelemetry value types match the upstream transcription', () => {
  const otelOnly = (name: string) => !name.startsWith('opentelemetry.') && name !== 'opentelemetry';
  assert.equal(compareWithUpstream(ours, parse(OTEL_UPSTREAM), otelOnly), []);
});

test('the checker catches a wrong field number', () => {
  // given a Locality whose zone has number 3 instead of 2
  const wrong = parse(`syntax = "proto3"; package envoy.config.core.v3; message Locality { string region = 1; string zone = 3; }`);
  // when it is checked against upstream
  const problems = compareWithUpstream(wrong, upstream);
  // then exactly that field is reported
  assert.equal(problems, ['envoy.config.core.v3.Locality.zone: ours string = 3, upstream string = 2']);
});

test('the checker catches a wrong type, label, oneof, unknown field, enum value and message', () => {
  const wrong = parse(`
    syntax = "proto3";
    package envoy.config.core.v3;
    message SocketAddress {
      enum Protocol { TCP = 0; UDP = 2; }
      string address = 2;
      uint64 port_value = 3;
      repeated string resolver_name = 5;
      oneof other { string named_port = 4; }
      bool no_such_field = 99;
    }
    message NoSuchMessage { string name = 1; }
  `);
  const problems = compareWithUpstream(wrong, upstream);
  assert.equal(problems.sort(), [
    'envoy.config.core.v3.SocketAddress.Protocol.UDP: ours 2, upstream 1',
    'envoy.config.core.v3.SocketAddress.named_port: ours string = 4 in oneof other, upstream string = 4 in oneof port_specifier',
    'envoy.config.core.v3.SocketAddress.no_such_field: no such field upstream',
    'envoy.config.core.v3.SocketAddress.port_value: ours uint64 = 3, upstream uint32 = 3 in oneof port_specifier',
    'envoy.config.core.v3.SocketAddress.resolver_name: ours repeated string = 5, upstream string = 5',
    'message envoy.config.core.v3.NoSuchMessage: not upstream',
  ]);
});

test('the checker catches a message type resolved to the wrong package', () => {
  const wrong = parse(`
    syntax = "proto3";
    package envoy.config.route.v3;
    message StringMatcher { string exact = 1; }
    message QueryParameterMatcher { string name = 1; StringMatcher string_match = 5; }
  `);
  const problems = compareWithUpstream(wrong, upstream);
  assert.ok(problems.includes('envoy.config.route.v3.QueryParameterMatcher.string_match: ours envoy.config.route.v3.StringMatcher = 5, upstream envoy.type.matcher.v3.StringMatcher = 5 in oneof query_parameter_match_specifier'), problems.join('\n'));
});

test('protos/ defines every resource type, the ADS service and the extensions gitmesh emits', () => {
  const needed = [
    ...Object.values(TYPE_URLS),
    'envoy.service.discovery.v3.DiscoveryRequest', 'envoy.service.discovery.v3.DiscoveryResponse',
    'envoy.service.discovery.v3.DeltaDiscoveryRequest', 'envoy.service.discovery.v3.DeltaDiscoveryResponse',
    'envoy.service.discovery.v3.Resource', 'google.rpc.Status',
    'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
    'envoy.extensions.filters.http.router.v3.Router',
    'envoy.extensions.filters.http.rbac.v3.RBAC', 'envoy.extensions.filters.http.rbac.v3.RBACPerRoute',
    'envoy.extensions.filters.network.rbac.v3.RBAC',
    'envoy.extensions.filters.http.fault.v3.HTTPFault',
    'envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit',
    'envoy.extensions.filters.network.local_ratelimit.v3.LocalRateLimit',
    'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
    'envoy.extensions.access_loggers.file.v3.FileAccessLog',
    'envoy.extensions.access_loggers.open_telemetry.v3.OpenTelemetryAccessLogConfig',
    'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
    'envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
    'envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
    'envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate',
    'envoy.extensions.retry.host.omit_host_metadata.v3.OmitHostMetadataConfig',
    'envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig',
    'envoy.extensions.health_check.event_sinks.file.v3.HealthCheckEventFileSink',
    'envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector',
    'envoy.extensions.filters.listener.original_dst.v3.OriginalDst',
    'envoy.config.route.v3.FilterConfig',
    'google.protobuf.Timestamp', 'google.protobuf.Struct', 'google.protobuf.UInt64Value',
  ];
  assert.equal(needed.filter((name) => !findMessageType(name, ours)), []);
  assert.instance(ours.lookup('.envoy.service.discovery.v3.AggregatedDiscoveryService'), protobuf.Service);
});

test('protos/ is loaded once and shared', () => {
  assert.is(protoRoot(), protoRoot());
  const counts = countDefinitions(protoRoot());
  assert.ok(counts.messages > 200, `only ${counts.messages} messages`);
});

test('a type is found by its full name only, not by a partial one', () => {
  assert.is(findMessageType('type.googleapis.com/Cluster', ours), undefined);
  assert.is(findMessageType('cluster.v3.Cluster', ours), undefined);
  assert.is(findMessageType(TYPE_URLS.cds, ours)?.fullName, '.envoy.config.cluster.v3.Cluster');
});

test.run();
