// Building blocks of xDS resources in the proto3 JSON form Envoy's config_dump prints.

/** A JSON object standing for one protobuf message (snake_case fields, `@type` on every Any). */
export type XdsMessage = { [field: string]: unknown };

/** Type names of the extension configs gitmesh emits. */
export const TYPE = {
  hcm: 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  router: 'envoy.extensions.filters.http.router.v3.Router',
  tcpProxy: 'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
  httpProtocolOptions: 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
  rbacHttp: 'envoy.extensions.filters.http.rbac.v3.RBAC',
  rbacNetwork: 'envoy.extensions.filters.network.rbac.v3.RBAC',
  fault: 'envoy.extensions.filters.http.fault.v3.HTTPFault',
  localRateLimitHttp: 'envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit',
  localRateLimitNetwork: 'envoy.extensions.filters.network.local_ratelimit.v3.LocalRateLimit',
  fileAccessLog: 'envoy.extensions.access_loggers.file.v3.FileAccessLog',
  otelAccessLog: 'envoy.extensions.access_loggers.open_telemetry.v3.OpenTelemetryAccessLogConfig',
} as const;

/** An Any holding `body` as the message `typeName`. */
export function typed(typeName: string, body: XdsMessage = {}): XdsMessage {
  return { '@type': `type.googleapis.com/${typeName}`, ...body };
}

/** A proto3 JSON Duration from milliseconds: 1500 → "1.5s", 5000 → "5s". */
export function durationJson(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const nanos = Math.round((ms - seconds * 1000) * 1e6);
  if (nanos === 0) return `${seconds}s`;
  return `${seconds}.${String(nanos).padStart(9, '0').replace(/0+$/, '')}s`;
}

/** `{socket_address: {address, port_value}}`. */
export function socketAddress(address: string, port: number): XdsMessage {
  return { socket_address: { address, port_value: port } };
}

/** A config source that means "over the same ADS stream". Frozen: it is shared by every resource that names it. */
export const ADS_SOURCE: XdsMessage = Object.freeze({ ads: Object.freeze({}), resource_api_version: 'V3' });

/** A name safe for Envoy stat prefixes: `:` and `.` would split the stat tree. */
export function statName(text: string): string {
  return text.replace(/[^A-Za-z0-9_-]/g, '_');
}
