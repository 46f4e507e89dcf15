// MeshFaultInjection → xDS: Envoy's HTTP fault filter on inbounds, and on proxyless gRPC clients' outbounds (gRFC A33).
import { parseDuration } from '../../core/duration.js';
import { durationJson, typed, TYPE, type XdsMessage } from '../../core/xds-json.js';
import type { MeshFaultInjectionConf, MeshFaultInjectionFault, Percentage } from '../../generated/mesh-fault-injection.js';
import { isHttpProtocol } from '../model.js';
import type { ClientSelector } from '../target-ref/match.js';
import type { InboundContext, OutboundContext, XdsHooks } from '../types.js';

const FAULT = 'envoy.filters.http.fault';
/** The request header Kuma sidecars put their inbound tags in (`&key=value&&key=value&`) and Kuma matches clients by. */
const TAGS_HEADER = 'x-kuma-tags';

function isConf(conf: unknown): conf is MeshFaultInjectionConf {
  return conf !== null && typeof conf === 'object';
}

/**
 * A 0–100 percentage (an integer, or a decimal string the schema checked) as a FractionalPercent
 * with the smallest denominator that holds it exactly: HUNDRED (the default, left out), TEN_THOUSAND
 * for up to 2 decimals, else MILLION (further digits dropped, as Kuma's ConvertPercentage does).
 * Computed on the decimal digits, so "12.34" is 1234/10000, never a float rounding of it.
 */
export function fractionalPercent(value: Percentage): XdsMessage {
  const [whole = '0', fraction = ''] = String(value).split('.');
  const digits = fraction.replace(/0+$/, '');
  const scaled = (places: number) => Number(whole) * 10 ** places + Number((digits + '0000').slice(0, places) || '0');
  const [numerator, denominator] = digits.length === 0 ? [Number(whole), undefined] : digits.length <= 2 ? [scaled(2), 'TEN_THOUSAND'] : [scaled(4), 'MILLION'];
  return { ...(numerator !== 0 && { numerator }), ...(denominator && { denominator }) };
}

/** "10kbps", "5 Mbps", "1Gbps" in kbps (Kuma's ConvertBandwidthToKbps: decimal units); a uint64, so a string in proto3 JSON. */
function kbps(limit: string): string {
  const match = /^(\d+)\s?(kbps|Mbps|Gbps)$/.exec(limit);
  const factor = { kbps: 1n, Mbps: 1000n, Gbps: 1_000_000n }[(match?.[2] ?? 'kbps') as 'kbps' | 'Mbps' | 'Gbps'];
  return String(BigInt(match?.[1] ?? '0') * factor);
}

/** Escapes a literal for RE2. */
function re2(text: string): string {
  return text.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}

/** The tags a client selector requires of the client's inbound (none for Mesh). */
function selectorTags(clients: ClientSelector): Record<string, string> {
  const tags: Record<string, string> = { ...(clients.tags ?? {}) };
  if ((clients.kind === 'MeshService' || clients.kind === 'MeshServiceSubset') && clients.name !== undefined) tags['kuma.io/service'] = clients.name;
  return tags;
}

/**
 * A header matcher that holds when x-kuma-tags carries every tag (Kuma's tags.MatchingRegex:
 * keys sorted, `.*&key=[^&]*value[,&].*` each, with the literals escaped), or when it does not
 * (`invert`).
 */
function tagsMatcher(tags: Record<string, string>, invert: boolean): XdsMessage {
  const regex = `.*${Object.keys(tags)
    .sort()
    .map((key) => `&${re2(key)}=[^&]*${re2(tags[key]!)}[,&].*`)
    .join('')}`;
  return { name: TAGS_HEADER, string_match: { safe_regex: { regex } }, ...(invert && { invert_match: true }) };
}

/** One HTTPFault per fault; `grpc` leaves out what gRPC clients do not implement (response_rate_limit). */
function faultFilters(faults: readonly MeshFaultInjectionFault[], headers: readonly XdsMessage[], grpc: boolean): XdsMessage[] {
  return faults.flatMap((fault) => {
    const config: XdsMessage = {};
    if (fault.delay) config.delay = { fixed_delay: durationJson(parseDuration(fault.delay.value) ?? 0), percentage: fractionalPercent(fault.delay.percentage) };
    if (fault.abort) config.abort = { http_status: fault.abort.httpStatus, percentage: fractionalPercent(fault.abort.percentage) };
    if (headers.length > 0) config.headers = headers;
    if (fault.responseBandwidth && !grpc) {
      config.response_rate_limit = { fixed_limit: { limit_kbps: kbps(fault.responseBandwidth.limit) }, percentage: fractionalPercent(fault.responseBandwidth.percentage) };
    }
    if (!config.delay && !config.abort && !config.response_rate_limit) return [];
    return [{ name: FAULT, typed_config: typed(TYPE.fault, config) }];
  });
}

/**
 * Gives each fault filter its own name (`envoy.filters.http.fault`, then `.1`, `.2` …): gRPC
 * clients NACK an HCM with two filters of one name, and Envoy picks the filter by its
 * typed_config type, not by the name.
 */
function named(filters: readonly XdsMessage[]): XdsMessage[] {
  return filters.map((f, i) => (i === 0 ? f : { ...f, name: `${FAULT}.${i}` }));
}

function isFault(filter: XdsMessage): boolean {
  return typeof filter.name === 'string' && (filter.name === FAULT || filter.name.startsWith(`${FAULT}.`));
}

/**
 * The inbound fault filters: per rule (most specific clients first), its faults, matched on
 * x-kuma-tags as Kuma does. Kuma's rules are first-match, so each rule's faults also exclude the
 * clients of every more specific rule before it (inverted matchers); a `from: Mesh` rule alone
 * needs no header at all.
 */
function inboundFilters(ctx: InboundContext): XdsMessage[] {
  const filters: XdsMessage[] = [];
  const earlier: Record<string, string>[] = [];
  for (const rule of ctx.rules) {
    const tags = selectorTags(rule.clients);
    const headers = [...(Object.keys(tags).length > 0 ? [tagsMatcher(tags, false)] : []), ...earlier.map((t) => tagsMatcher(t, true))];
    if (isConf(rule.conf)) filters.push(...faultFilters(rule.conf.http ?? [], headers, false));
    if (Object.keys(tags).length > 0) {
      earlier.push(tags);
      if (isConf(rule.conf) && (rule.conf.http ?? []).length > 0) {
        ctx.report('GM404', `MeshFaultInjection for ${rule.clients.kind} clients (inbound ${ctx.inbound.name}): matched on the ${TAGS_HEADER} request header as Kuma does; gitmesh's proxies do not send that header, so only clients that set it get these faults`);
      }
    }
  }
  return named(filters);
}

/**
 * MeshFaultInjection's hooks (KUMA.md §4; Kuma meshfaultinjection plugin):
 * - Envoy sidecar, HTTP inbound (`from`/`rules`): one fault filter per `http[]` item (named
 *   `envoy.filters.http.fault`, `….1`, … so that names stay unique) (abort {http_status, percentage}, delay {fixed_delay, percentage},
 *   response_rate_limit {fixed_limit {limit_kbps}, percentage}), before the router; client
 *   selectors other than Mesh become `headers` matchers on x-kuma-tags. TCP inbound: GM404.
 * - Proxyless gRPC client, `to[]` (scopes that include gateways): the same filters in the
 *   outbound HCM, before the router; gRPC implements abort and delay, not response_rate_limit
 *   (GM401). On Envoy sidecars `to[]` configures gateways only: GM404.
 * - Proxyless gRPC server (inbound): GM401, gRPC servers run no fault filter.
 */
export const meshFaultInjectionXds: XdsHooks = {
  inboundHttpFilters(ctx) {
    if (ctx.rules.length === 0) return [];
    if (ctx.proxy.flavour === 'grpc') {
      if (ctx.rules.some((r) => isConf(r.conf) && (r.conf.http ?? []).length > 0)) {
        ctx.report('GM401', `http (inbound ${ctx.inbound.name}): proxyless gRPC servers run no fault filter (gRFC A33 injects faults on clients only); it is not enforced`);
      }
      return [];
    }
    return inboundFilters(ctx);
  },
  inboundNetworkFilters(ctx) {
    if (!isHttpProtocol(ctx.inbound.protocol) && ctx.rules.some((r) => isConf(r.conf) && (r.conf.http ?? []).length > 0)) {
      ctx.report('GM404', `http (inbound ${ctx.inbound.name}): the inbound speaks ${ctx.inbound.protocol}, not HTTP; HTTP faults are not injected`);
    }
    return [];
  },
  outboundHcm(hcm, ctx) {
    if (!isConf(ctx.conf)) return;
    const faults = ctx.conf.http ?? [];
    if (ctx.proxy.flavour !== 'grpc') {
      if (faults.length > 0) reportGatewayOnly(ctx);
      return;
    }
    if (faults.some((f) => f.responseBandwidth)) {
      ctx.report('GM401', `http[].responseBandwidth (to ${ctx.outbound.service}): proxyless gRPC clients do not implement the fault filter's response_rate_limit; it is left out`);
    }
    const filters = named(faultFilters(faults, [], true));
    const current = (hcm.http_filters as XdsMessage[] | undefined) ?? [];
    // The router is the frozen last element: build a new list, faults (again, idempotently) just before it.
    const rest = current.filter((f) => !isFault(f));
    hcm.http_filters = [...rest.slice(0, -1), ...filters, ...rest.slice(-1)];
  },
  outboundTcpProxy(_tcpProxy, ctx) {
    if (isConf(ctx.conf) && (ctx.conf.http ?? []).length > 0) reportGatewayOnly(ctx);
  },
};

function reportGatewayOnly(ctx: OutboundContext): void {
  ctx.report('GM404', `MeshFaultInjection \`to\` (to ${ctx.outbound.service}): on sidecars it applies only to gateways, which gitmesh does not serve; only proxyless gRPC clients inject these faults`);
}
