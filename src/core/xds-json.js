// Building blocks of xDS resources in the proto3 JSON form Envoy's config_dump prints.
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
};
/** An Any holding `body` as the message `typeName`. */
export function typed(typeName, body = {}) {
    return { '@type': `type.googleapis.com/${typeName}`, ...body };
}
/** A proto3 JSON Duration from milliseconds: 1500 → "1.500s", 5000 → "5s". */
export function durationJson(ms) {
    const seconds = Math.floor(ms / 1000);
    const nanos = Math.round((ms - seconds * 1000) * 1e6);
    if (nanos === 0)
        return `${seconds}s`;
    return `${seconds}.${String(nanos).padStart(9, '0').replace(/0+$/, '')}s`;
}
/** `{socket_address: {address, port_value}}`. */
export function socketAddress(address, port) {
    return { socket_address: { address, port_value: port } };
}
/** A config source that means "over the same ADS stream". */
export const ADS_SOURCE = { ads: {}, resource_api_version: 'V3' };
/** A name safe for Envoy stat prefixes: `:` and `.` would split the stat tree. */
export function statName(text) {
    return text.replace(/[^A-Za-z0-9_-]/g, '_');
}
