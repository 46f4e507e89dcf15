// MeshAccessLog → xDS: access_log entries on HTTP connection managers and TCP proxies, inbound and outbound.
import { canonicalJson } from '../../core/canonical-json.js';
import { socketAddress, typed, TYPE, type XdsMessage } from '../../core/xds-json.js';
import type { MeshAccessLogBackend, MeshAccessLogConf, MeshAccessLogFormat, MeshAccessLogOtelBackend } from '../../generated/mesh-access-log.js';
import { isHttpProtocol, type ProxyView } from '../model.js';
import type { HookContext, InboundContext, OutboundContext, XdsHooks } from '../types.js';

/** Kuma's default formats (meshaccesslog plugin/xds/configurer.go); a plain format gets a trailing newline. */
export const DEFAULT_TCP_FORMAT =
  '[%START_TIME%] %RESPONSE_FLAGS% %KUMA_MESH% %KUMA_SOURCE_ADDRESS_WITHOUT_PORT%(%KUMA_SOURCE_SERVICE%)->%UPSTREAM_HOST%(%KUMA_DESTINATION_SERVICE%) took %DURATION%ms, sent %BYTES_SENT% bytes, received: %BYTES_RECEIVED% bytes';
export const DEFAULT_HTTP_FORMAT =
  '[%START_TIME%] %KUMA_MESH% "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-B3-TRACEID?X-DATADOG-TRACEID)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%KUMA_SOURCE_SERVICE%" "%KUMA_DESTINATION_SERVICE%" "%KUMA_SOURCE_ADDRESS_WITHOUT_PORT%" "%UPSTREAM_HOST%"';

/** Kuma's name for a service it cannot tell (mesh_proto.ServiceUnknown). */
const UNKNOWN = 'unknown';
/** The OTLP/gRPC port when an endpoint names none (Kuma's defaultOpenTelemetryGRPCPort). */
const OTEL_PORT = 4317;

/** What the Kuma command operators stand for on one listener. */
interface KumaValues {
  readonly mesh: string;
  readonly sourceService: string;
  /** An Envoy operator (or literal) giving the source IP: Envoy knows it per request, the compiler does not always. */
  readonly sourceAddress: string;
  readonly destinationService: string;
  readonly direction: 'INBOUND' | 'OUTBOUND';
  readonly zone: string;
  readonly workload: string;
}

/**
 * Replaces Kuma's command operators, which Envoy does not know (it would reject the format), by
 * their values (Kuma listeners_v3.InterpolateKumaValues). %KUMA_SOURCE_ADDRESS% keeps Kuma's
 * `ip:0` form.
 */
function interpolate(text: string, values: KumaValues): string {
  return text
    .replaceAll('%KUMA_SOURCE_ADDRESS%', `${values.sourceAddress}:0`)
    .replaceAll('%KUMA_SOURCE_ADDRESS_WITHOUT_PORT%', values.sourceAddress)
    .replaceAll('%KUMA_SOURCE_SERVICE%', values.sourceService)
    .replaceAll('%KUMA_DESTINATION_SERVICE%', values.destinationService)
    .replaceAll('%KUMA_MESH%', values.mesh)
    .replaceAll('%KUMA_TRAFFIC_DIRECTION%', values.direction)
    .replaceAll('%KUMA_ZONE%', values.zone)
    .replaceAll('%KUMA_WORKLOAD%', values.workload);
}

/** Zone and workload KRI from the proxy's labels (Kuma plugin.go workloadIdentity); empty when unlabelled. */
function identity(proxy: ProxyView): { zone: string; workload: string } {
  const zone = proxy.labels['kuma.io/zone'] ?? '';
  const name = proxy.labels['kuma.io/workload'];
  const namespace = proxy.labels['k8s.kuma.io/namespace'] ?? '';
  return { zone, workload: name ? `kri_wl_${proxy.mesh}_${zone}_${namespace}_${name}_` : '' };
}

/**
 * Outbound: the source is this proxy. Its service is its first inbound's (Kuma's
 * IdentifyingName); its IP is not in the shared outbound resources, so Envoy fills it in as the
 * local address of the upstream connection, which is the proxy's own address.
 */
function outboundValues(ctx: OutboundContext): KumaValues {
  return {
    mesh: ctx.proxy.mesh,
    sourceService: ctx.proxy.inbounds[0]?.service ?? UNKNOWN,
    sourceAddress: '%UPSTREAM_LOCAL_ADDRESS_WITHOUT_PORT%',
    destinationService: ctx.outbound.service,
    direction: 'OUTBOUND',
    ...identity(ctx.proxy),
  };
}

/**
 * Inbound: the destination is the inbound's service; the client's service is unknown to the
 * listener (Kuma writes "unknown"), and its address is the downstream peer's. (Kuma writes the
 * proxy's own IP there, kumahq/kuma#13635; the client's is what the name promises.)
 */
function inboundValues(ctx: InboundContext): KumaValues {
  return {
    mesh: ctx.proxy.mesh,
    sourceService: UNKNOWN,
    sourceAddress: '%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%',
    destinationService: ctx.inbound.service,
    direction: 'INBOUND',
    ...identity(ctx.proxy),
  };
}

function isConf(conf: unknown): conf is MeshAccessLogConf {
  return conf !== null && typeof conf === 'object' && Array.isArray((conf as { backends?: unknown }).backends);
}

/** SubstitutionFormatString for a file log: text (newline-terminated) or a JSON object, Kuma's default text when unset. */
function logFormat(format: MeshAccessLogFormat | undefined, defaultFormat: string, values: KumaValues): XdsMessage {
  const omit = format?.omitEmptyValues === true ? { omit_empty_values: true } : {};
  if (format?.type === 'Json' && format.json) {
    return { json_format: Object.fromEntries(format.json.map((kv) => [kv.key, interpolate(kv.value, values)])), ...omit };
  }
  return { text_format_source: { inline_string: `${interpolate(format?.plain ?? defaultFormat, values)}\n` }, ...omit };
}

/** "host", "host:port", "[v6]:port" → host and port (4317 when left out). */
function otelEndpoint(endpoint: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(endpoint.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/\/.*$/, ''));
  return { host: match?.[1] ?? match?.[2] ?? endpoint, port: match?.[3] ? Number(match[3]) : OTEL_PORT };
}

/** An OTLP AnyValue from a body given as a string or as OTLP JSON (camelCase or snake_case); anything else is logged as its JSON text. */
function anyValue(value: unknown, values: KumaValues): XdsMessage | undefined {
  if (typeof value === 'string') return { string_value: interpolate(value, values) };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length !== 1) return undefined;
  const [key, inner] = entries[0]!;
  switch (key) {
    case 'stringValue':
    case 'string_value':
      return typeof inner === 'string' ? { string_value: interpolate(inner, values) } : undefined;
    case 'boolValue':
    case 'bool_value':
      return typeof inner === 'boolean' ? (inner ? { bool_value: true } : { bool_value: false }) : undefined;
    case 'intValue':
    case 'int_value':
      return (typeof inner === 'number' && Number.isInteger(inner)) || (typeof inner === 'string' && /^-?\d+$/.test(inner)) ? { int_value: String(inner) } : undefined;
    case 'doubleValue':
    case 'double_value':
      return typeof inner === 'number' ? { double_value: inner } : undefined;
    case 'arrayValue':
    case 'array_value': {
      const list = (inner as { values?: unknown } | null)?.values;
      if (!Array.isArray(list)) return undefined;
      const items = list.map((v) => anyValue(v, values));
      return items.every((v): v is XdsMessage => v !== undefined) ? { array_value: items.length > 0 ? { values: items } : {} } : undefined;
    }
    case 'kvlistValue':
    case 'kvlist_value': {
      const list = (inner as { values?: unknown } | null)?.values;
      if (!Array.isArray(list)) return undefined;
      const items = list.map((kv) => {
        const { key: k, value: v } = (kv ?? {}) as { key?: unknown; value?: unknown };
        const converted = anyValue(v, values);
        return typeof k === 'string' && converted ? { key: interpolate(k, values), value: converted } : undefined;
      });
      return items.every((v) => v !== undefined) ? { kvlist_value: items.length > 0 ? { values: items } : {} } : undefined;
    }
    default:
      return undefined;
  }
}

/** An OTel access logger and the collector cluster it streams to (Kuma's otelAccessLog + AddLogBackendConf). */
function otelLogger(otel: MeshAccessLogOtelBackend, defaultFormat: string, values: KumaValues, ctx: HookContext, where: string): XdsMessage | undefined {
  if (otel.endpoint === undefined) {
    ctx.report('GM404', `backends[].openTelemetry.backendRef (${where}): gitmesh has no MeshOpenTelemetryBackend resources to resolve it; nothing is logged to this backend`);
    return undefined;
  }
  const { host, port } = otelEndpoint(otel.endpoint);
  const clusterName = `meshaccesslog:opentelemetry:${host}:${port}`;
  ctx.addCluster({
    name: clusterName,
    type: 'STRICT_DNS',
    connect_timeout: '5s',
    load_assignment: { cluster_name: clusterName, endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress(host, port) } }] }] },
    typed_extension_protocol_options: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': typed(TYPE.httpProtocolOptions, { explicit_http_config: { http2_protocol_options: {} } }),
    },
  });
  const body =
    otel.body === undefined
      ? { string_value: interpolate(defaultFormat, values) }
      : (anyValue(otel.body, values) ?? { string_value: interpolate(JSON.stringify(otel.body), values) });
  const attributes = (otel.attributes ?? []).map((kv) => ({ key: kv.key, value: { string_value: interpolate(kv.value, values) } }));
  return {
    name: 'envoy.access_loggers.open_telemetry',
    typed_config: typed(TYPE.otelAccessLog, {
      common_config: { log_name: 'MeshAccessLog', grpc_service: { envoy_grpc: { cluster_name: clusterName } }, transport_api_version: 'V3' },
      body,
      ...(attributes.length > 0 && { attributes: { values: attributes } }),
    }),
  };
}

/** The AccessLog of one backend, or undefined (reported) when gitmesh cannot serve it. */
function accessLog(backend: MeshAccessLogBackend, defaultFormat: string, values: KumaValues, ctx: HookContext, where: string): XdsMessage | undefined {
  if (backend.file) {
    return {
      name: 'envoy.access_loggers.file',
      typed_config: typed(TYPE.fileAccessLog, { path: backend.file.path, log_format: logFormat(backend.file.format, defaultFormat, values) }),
    };
  }
  if (backend.tcp) {
    ctx.report('GM404', `backends[].tcp (${where}): Kuma streams TCP access logs through kuma-dp, which gitmesh does not run; nothing is logged to ${backend.tcp.address}`);
    return undefined;
  }
  if (backend.openTelemetry) return otelLogger(backend.openTelemetry, defaultFormat, values, ctx, where);
  return undefined;
}

/** Sets `access_log` to what was there, minus equal entries (so a second call changes nothing), plus this conf's loggers. */
function applyAccessLogs(target: XdsMessage, conf: MeshAccessLogConf, defaultFormat: string, values: KumaValues, ctx: HookContext, where: string): void {
  const logs = conf.backends.flatMap((b) => accessLog(b, defaultFormat, values, ctx, where) ?? []);
  if (logs.length === 0) return;
  const mine = new Set(logs.map(canonicalJson));
  const kept = ((target.access_log as XdsMessage[] | undefined) ?? []).filter((l) => !mine.has(canonicalJson(l)));
  target.access_log = [...kept, ...logs];
}

/** The conf of the inbound rule for every client: MeshAccessLog allows only `from: Mesh` and `rules` (validation). */
function inboundConf(ctx: InboundContext): MeshAccessLogConf | undefined {
  let found: MeshAccessLogConf | undefined;
  for (const rule of ctx.rules) {
    if (rule.clients.kind === 'Mesh' && rule.matches === undefined && isConf(rule.conf)) found ??= rule.conf;
    else ctx.report('GM404', `MeshAccessLog for ${rule.clients.kind} clients (inbound ${ctx.inbound.name}): an inbound logs every client of its listener; only \`from: Mesh\`/\`rules\` entries are applied`);
  }
  return found;
}

const GRPC = 'proxyless gRPC has no access logging; nothing is logged';

function reportGrpc(ctx: HookContext, conf: MeshAccessLogConf, where: string): void {
  if (conf.backends.length > 0) ctx.report('GM401', `backends (${where}): ${GRPC}`);
}

/**
 * MeshAccessLog's hooks (KUMA.md §4; Kuma meshaccesslog plugin/xds/configurer.go). Envoy
 * sidecars, outbound (`to[]`) and inbound (`from: Mesh`/`rules`), one AccessLog per backend:
 * - on the HCM's `access_log` (HTTP) or the TcpProxy's `access_log` (TCP);
 * - File → `envoy.access_loggers.file` {path, log_format: text_format_source.inline_string (Kuma's
 *   default format when unset) or json_format, omit_empty_values};
 * - OpenTelemetry `endpoint` → `envoy.access_loggers.open_telemetry` {common_config {log_name,
 *   grpc_service.envoy_grpc.cluster_name, transport_api_version V3}, body, attributes} and a
 *   STRICT_DNS HTTP/2 cluster `meshaccesslog:opentelemetry:HOST:PORT`; `backendRef` → GM404
 *   (no MeshOpenTelemetryBackend in gitmesh);
 * - Tcp → GM404 (needs kuma-dp's log streamer).
 * Kuma's %KUMA_*% operators are replaced here (see interpolate). Proxyless gRPC: GM401.
 */
export const meshAccessLogXds: XdsHooks = {
  outboundHcm(hcm, ctx) {
    if (!isConf(ctx.conf)) return;
    const where = `to ${ctx.outbound.service}`;
    if (ctx.proxy.flavour === 'grpc') return reportGrpc(ctx, ctx.conf, where);
    applyAccessLogs(hcm, ctx.conf, DEFAULT_HTTP_FORMAT, outboundValues(ctx), ctx, where);
  },
  outboundTcpProxy(tcpProxy, ctx) {
    if (!isConf(ctx.conf)) return;
    applyAccessLogs(tcpProxy, ctx.conf, DEFAULT_TCP_FORMAT, outboundValues(ctx), ctx, `to ${ctx.outbound.service}`);
  },
  inboundHcm(hcm, ctx) {
    const conf = inboundConf(ctx);
    if (!conf) return;
    const where = `inbound ${ctx.inbound.name}`;
    if (ctx.proxy.flavour === 'grpc') return reportGrpc(ctx, conf, where);
    applyAccessLogs(hcm, conf, DEFAULT_HTTP_FORMAT, inboundValues(ctx), ctx, where);
  },
  inboundTcpProxy(tcpProxy, ctx) {
    const conf = inboundConf(ctx);
    if (!conf || isHttpProtocol(ctx.inbound.protocol)) return;
    applyAccessLogs(tcpProxy, conf, DEFAULT_TCP_FORMAT, inboundValues(ctx), ctx, `inbound ${ctx.inbound.name}`);
  },
};
