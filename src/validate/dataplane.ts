// Dataplane rules beyond the schema (Kuma dataplane_validator.go, release 2.14; KUMA.md §1.2, §10).
import { isIP } from 'node:net';
import type { FieldPath, Finding } from '../core/diagnostics.js';
import type { DataplaneBody, DataplaneInbound, DataplaneOutbound, Tags } from '../generated/dataplane.js';
import { SERVICE_TAG } from './repository-index.js';
import type { KindValidator } from './types.js';

/** The kuma.io/protocol tag (KUMA.md §1). */
export const PROTOCOL_TAG = 'kuma.io/protocol';
/** The label that makes a Dataplane a proxyless gRPC client (DESIGN.md §5, §6). */
export const PROXYLESS_LABEL = 'gitmesh.io/proxyless';
/** Protocols Kuma knows (ParseProtocol); anything else is ProtocolUnknown and rejected. */
const PROTOCOLS: readonly string[] = ['tcp', 'http', 'http2', 'grpc', 'kafka'];
/** Kuma's transparent-proxy redirect ports when left out (pkg/transparentproxy/consts). */
const DEFAULT_REDIRECT_INBOUND = 15006;
const DEFAULT_REDIRECT_OUTBOUND = 15001;
const LOOPBACK = '127.0.0.1';
/** govalidator.IsDNSName, as Kuma uses it for networking.address. */
const DNS_NAME = /^([a-zA-Z0-9_][a-zA-Z0-9_-]{0,62})(\.[a-zA-Z0-9_][a-zA-Z0-9_-]{0,62})*[._]?$/;

type Path = (string | number)[];

/**
 * Whether a Dataplane is a proxyless gRPC client rather than an Envoy sidecar: labelled
 * `gitmesh.io/proxyless: "true"` (DESIGN.md §5 snapshot flavour rule).
 */
export function isProxyless(labels: Readonly<Record<string, string>>): boolean {
  return labels[PROXYLESS_LABEL] === 'true';
}

/**
 * Checks one schema-valid Dataplane: addresses (GM313), tags and shapes Kuma rejects (GM310),
 * listeners that would share an address:port (GM307), and services it names that no Dataplane of
 * the mesh serves (GM304, a warning as Kuma accepts them). Pure; paths are relative to the body.
 */
export const dataplaneValidator: KindValidator<DataplaneBody | undefined> = {
  kind: 'Dataplane',
  validate(resource, ctx) {
    const networking = resource.spec?.networking;
    if (!networking) return [];
    const findings: Finding[] = [];
    const proxyless = resource.labels[PROXYLESS_LABEL];
    if (proxyless !== undefined && proxyless !== 'true' && proxyless !== 'false') {
      const path = resource.envelope === 'kubernetes' ? ['metadata', 'labels', PROXYLESS_LABEL] : ['labels', PROXYLESS_LABEL];
      findings.push({ code: 'GM310', path, fromRoot: true, message: `label ${PROXYLESS_LABEL} is ${JSON.stringify(proxyless)}; write "true" (a proxyless gRPC client) or "false" (an Envoy sidecar)` });
    }
    const services = ctx.index.services(resource.mesh);
    const net = (...rest: Path): Path => ['networking', ...rest];
    checkNetworkingAddress(networking.address, net('address'), findings);
    if (networking.advertisedAddress !== undefined) checkNetworkingAddress(networking.advertisedAddress, net('advertisedAddress'), findings);

    const inbounds = networking.inbound ?? [];
    const outbounds = networking.outbound ?? [];
    const gateway = networking.gateway;
    if (gateway) {
      checkTags(gateway.tags, net('gateway', 'tags'), 'the gateway', findings);
      const protocol = gateway.tags[PROTOCOL_TAG];
      if (protocol !== undefined && protocol !== 'tcp') {
        findings.push({ code: 'GM310', path: net('gateway', 'tags', PROTOCOL_TAG), message: `a gateway's ${PROTOCOL_TAG} tag may only be "tcp", not ${JSON.stringify(protocol)}` });
      }
      const builtin = gateway.type === 'BUILTIN';
      if (inbounds.length > 0) {
        findings.push({ code: 'GM310', path: net('inbound'), atKey: true, message: `a ${builtin ? 'builtin' : 'delegated'} gateway has no inbounds; serve the service from a separate Dataplane` });
      }
      if (builtin && outbounds.length > 0) {
        findings.push({ code: 'GM310', path: net('outbound'), atKey: true, message: 'a builtin gateway has no outbounds; its routes come from MeshHTTPRoute' });
      }
      if (builtin && resource.spec?.probes !== undefined) {
        findings.push({ code: 'GM310', path: ['probes'], atKey: true, message: 'a builtin gateway has no virtual probes' });
      }
    } else if (inbounds.length === 0 && !isProxyless(resource.labels)) {
      findings.push({
        code: 'GM310',
        path: ['networking'],
        atKey: true,
        message: `a Dataplane needs at least one inbound or a gateway (a pure client that serves nothing is allowed only as a proxyless gRPC client, labelled ${PROXYLESS_LABEL}: "true")`,
      });
    }

    const names = new Map<string, number>();
    inbounds.forEach((inbound, i) => {
      checkInbound(inbound, networking.address, net('inbound', i), findings);
      if (inbound.name !== undefined) {
        const first = names.get(inbound.name);
        if (first !== undefined) {
          findings.push({ code: 'GM310', path: net('inbound', i, 'name'), message: `inbound name ${JSON.stringify(inbound.name)} is already used by inbound[${first}]; names select inbounds (sectionName) and must be unique` });
        } else names.set(inbound.name, i);
      }
    });
    outbounds.forEach((outbound, i) => checkOutbound(outbound, net('outbound', i), services, resource.mesh, findings));

    const tp = networking.transparentProxying;
    if (tp) {
      tp.reachableServices?.forEach((service, i) => {
        if (!services.has(service)) {
          findings.push({ code: 'GM304', path: net('transparentProxying', 'reachableServices', i), message: `reachableServices names service ${JSON.stringify(service)}, which no Dataplane in mesh ${JSON.stringify(resource.mesh)} serves` });
        }
      });
      tp.reachableBackends?.refs?.forEach((ref, i) => {
        const at = net('transparentProxying', 'reachableBackends', 'refs', i);
        if (ref.name !== undefined && ref.labels !== undefined) {
          findings.push({ code: 'GM310', path: [...at, 'labels'], message: 'a reachable backend takes `name` or `labels`, not both' });
        } else if (ref.name === undefined && ref.labels === undefined) {
          findings.push({ code: 'GM310', path: at, message: 'a reachable backend needs `name` or `labels`' });
        }
        if (ref.namespace !== undefined && ref.name === undefined) {
          findings.push({ code: 'GM310', path: [...at, 'namespace'], message: '`namespace` needs `name` in a reachable backend' });
        }
      });
    }

    findings.push(...portConflicts(resource.spec!));
    return findings;
  },
};

/** networking.address and advertisedAddress: an IP or a DNS name, never a wildcard (Kuma validateAddress). */
function checkNetworkingAddress(address: string, path: Path, findings: Finding[]): void {
  const field = path[path.length - 1];
  if (address === '0.0.0.0' || address === '::') {
    findings.push({ code: 'GM313', path, message: `networking.${String(field)} ${address} is a wildcard; use the proxy's own IP or hostname` });
  } else if (isIP(address) === 0 && (/^[0-9.]+$/.test(address) || !DNS_NAME.test(address))) {
    findings.push({ code: 'GM313', path, message: `networking.${String(field)} ${JSON.stringify(address)} is neither an IP address nor a hostname` });
  }
}

/** Tags that name a service must carry kuma.io/service (Kuma ValidateTags RequireService). */
function checkTags(tags: Tags, path: Path, what: string, findings: Finding[]): void {
  if (tags[SERVICE_TAG] === undefined) {
    findings.push({ code: 'GM310', path, message: `${what} has tags but no ${SERVICE_TAG}; add the service name` });
  }
}

function checkInbound(inbound: DataplaneInbound, dpAddress: string, path: Path, findings: Finding[]): void {
  for (const field of ['address', 'serviceAddress'] as const) {
    const value = inbound[field];
    if (value !== undefined && isIP(value) === 0) {
      findings.push({ code: 'GM313', path: [...path, field], message: `inbound ${field} ${JSON.stringify(value)} is not an IP address` });
    }
  }
  if (inbound.serviceAddress !== undefined && inbound.serviceAddress === (inbound.address ?? dpAddress) && (inbound.servicePort ?? inbound.port) === inbound.port) {
    findings.push({
      code: 'GM307',
      path: [...path, 'serviceAddress'],
      message: `the inbound would forward ${inbound.serviceAddress}:${inbound.port} to itself; serviceAddress and servicePort must differ from the listener's address and port`,
    });
  }
  const tags = inbound.tags;
  if (tags !== undefined) {
    checkTags(tags, [...path, 'tags'], 'the inbound', findings);
    const protocol = tags[PROTOCOL_TAG];
    if (protocol !== undefined && !PROTOCOLS.includes(protocol)) {
      findings.push({ code: 'GM310', path: [...path, 'tags', PROTOCOL_TAG], message: `${PROTOCOL_TAG} ${JSON.stringify(protocol)} is not a protocol Kuma knows; use one of ${PROTOCOLS.join(', ')}` });
    } else if (protocol !== undefined && inbound.protocol !== undefined && inbound.protocol !== protocol) {
      findings.push({ code: 'GM310', path: [...path, 'protocol'], message: `protocol ${inbound.protocol} disagrees with the ${PROTOCOL_TAG} tag ${JSON.stringify(protocol)}; set one of them` });
    }
  }
}

function checkOutbound(outbound: DataplaneOutbound, path: Path, services: ReadonlySet<string>, mesh: string, findings: Finding[]): void {
  if (outbound.address !== undefined && isIP(outbound.address) === 0) {
    findings.push({ code: 'GM313', path: [...path, 'address'], message: `outbound address ${JSON.stringify(outbound.address)} is not an IP address` });
  }
  const { tags, backendRef: ref } = outbound;
  if (tags !== undefined && ref !== undefined) {
    findings.push({ code: 'GM310', path: [...path, 'backendRef'], atKey: true, message: 'an outbound names its destination by `tags` or by `backendRef`, not both' });
  } else if (tags === undefined && ref === undefined) {
    findings.push({ code: 'GM310', path, message: `an outbound needs its destination: \`tags\` with ${SERVICE_TAG}, or a \`backendRef\`` });
  }
  if (tags !== undefined) {
    checkTags(tags, [...path, 'tags'], 'the outbound', findings);
    const service = tags[SERVICE_TAG];
    if (service !== undefined && !services.has(service)) {
      findings.push({ code: 'GM304', path: [...path, 'tags', SERVICE_TAG], message: `outbound names service ${JSON.stringify(service)}, which no Dataplane in mesh ${JSON.stringify(mesh)} serves` });
    }
  }
  if (ref !== undefined) {
    const at = [...path, 'backendRef'];
    if (ref.name !== undefined && ref.labels !== undefined) {
      findings.push({ code: 'GM310', path: [...at, 'labels'], message: 'a backendRef takes `name` or `labels`, not both' });
    } else if (ref.name === undefined && ref.labels === undefined) {
      findings.push({ code: 'GM310', path: at, message: 'a backendRef needs `name` or `labels`' });
    }
    if (ref.port === undefined && ref.kind !== 'MeshExternalService') {
      findings.push({ code: 'GM310', path: at, message: `a backendRef of kind ${ref.kind} needs the destination \`port\`` });
    }
    if (ref.kind === 'MeshService' && ref.name !== undefined && !services.has(ref.name)) {
      findings.push({ code: 'GM304', path: [...at, 'name'], message: `backendRef names service ${JSON.stringify(ref.name)}, which no Dataplane in mesh ${JSON.stringify(mesh)} serves` });
    }
  }
}

/** What binds an address:port: a listener of the proxy, or the application behind an inbound. */
interface Claim {
  readonly what: string;
  readonly path: FieldPath;
  /** Applications do not clash with each other (two inbounds may forward to one app port). */
  readonly listener: boolean;
}

/**
 * Listeners of one proxy that would bind the same address:port (GM307): inbounds, outbounds, the
 * applications behind inbounds, virtual probes, the admin port (localhost and networking.address)
 * and, with transparent proxying, the redirect ports (every address). Ignored inbounds bind nothing.
 */
function portConflicts(body: DataplaneBody): Finding[] {
  const findings: Finding[] = [];
  const { networking } = body;
  const claims = new Map<string, Claim[]>();
  const byPort = new Map<number, { key: string; claim: Claim }[]>();
  const claim = (address: string, port: number, c: Claim) => {
    const key = `${address}:${port}`;
    const existing = claims.get(key) ?? [];
    const clash = existing.find((other) => other.listener || c.listener);
    if (clash) {
      findings.push({ code: 'GM307', path: c.path, message: `${c.what} uses ${key}, already used by ${clash.what}` });
      return;
    }
    existing.push(c);
    claims.set(key, existing);
    byPort.set(port, [...(byPort.get(port) ?? []), { key, claim: c }]);
  };
  (networking.inbound ?? []).forEach((inbound, i) => {
    if (inbound.state === 'Ignored') return;
    const address = inbound.address ?? networking.address;
    const at: Path = ['networking', 'inbound', i];
    claim(address, inbound.port, { what: `inbound[${i}]`, path: [...at, 'port'], listener: true });
    const appAddress = inbound.serviceAddress ?? address;
    const appPort = inbound.servicePort ?? inbound.port;
    // The same address:port is the transparent-proxy case (or the self-forwarding error above).
    if (`${appAddress}:${appPort}` !== `${address}:${inbound.port}`) {
      claim(appAddress, appPort, { what: `the application behind inbound[${i}]`, path: [...at, inbound.servicePort !== undefined ? 'servicePort' : 'serviceAddress'], listener: false });
    }
  });
  (networking.outbound ?? []).forEach((outbound, i) => {
    claim(outbound.address ?? LOOPBACK, outbound.port, { what: `outbound[${i}]`, path: ['networking', 'outbound', i, 'port'], listener: true });
  });
  if (body.probes) claim(networking.address, body.probes.port, { what: 'the virtual probes listener', path: ['probes', 'port'], listener: true });
  const adminPort = networking.admin?.port;
  if (adminPort !== undefined) {
    const path = ['networking', 'admin', 'port'];
    const used = [...new Set([LOOPBACK, networking.address])].map((a) => claims.get(`${a}:${adminPort}`)?.find((c) => c.listener)).find(Boolean);
    if (used) findings.push({ code: 'GM307', path, message: `admin port ${adminPort} is also used by ${used.what}` });
  }
  const tp = networking.transparentProxying;
  if (tp) {
    const redirects: [number, string][] = [
      [tp.redirectPortInbound ?? DEFAULT_REDIRECT_INBOUND, 'redirectPortInbound'],
      [tp.redirectPortOutbound ?? DEFAULT_REDIRECT_OUTBOUND, 'redirectPortOutbound'],
    ];
    if (redirects[0]![0] === redirects[1]![0]) {
      findings.push({ code: 'GM307', path: ['networking', 'transparentProxying', 'redirectPortOutbound'], message: `redirectPortInbound and redirectPortOutbound are both ${redirects[0]![0]}` });
    }
    // Equal redirect ports are reported once above; check the listeners against the port once.
    for (const [port, field] of redirects.filter(([port], i) => i === 0 || port !== redirects[0]![0])) {
      const explicit = tp[field as 'redirectPortInbound' | 'redirectPortOutbound'] !== undefined;
      for (const { key, claim: c } of byPort.get(port) ?? []) {
        if (!c.listener) continue;
        // Point at the field the user wrote: the redirect port if set, else the listener that collides with the default.
        const path = explicit ? ['networking', 'transparentProxying', field] : c.path;
        findings.push({ code: 'GM307', path, message: `${c.what} uses ${key}, but transparent proxying redirects every address's port ${port} (${field}${explicit ? '' : ', default'})` });
      }
      if (adminPort === port) findings.push({ code: 'GM307', path: ['networking', 'admin', 'port'], message: `admin port ${adminPort} is the transparent proxy's ${field}` });
    }
  }
  return findings;
}
