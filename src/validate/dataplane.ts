// Dataplane rules beyond the schema (Kuma dataplane_validator.go, KUMA.md §10).
import { isIP } from 'node:net';
import type { Finding } from '../core/diagnostics.js';
import type { KindValidator } from './types.js';

interface Inbound {
  port: number;
  servicePort?: number;
  address?: string;
  serviceAddress?: string;
  tags?: Record<string, string>;
}
interface Outbound {
  port: number;
  address?: string;
}
interface DataplaneBody {
  networking: {
    address: string;
    inbound?: Inbound[];
    outbound?: Outbound[];
    admin?: { port?: number };
  };
}

export const dataplaneValidator: KindValidator<DataplaneBody> = {
  kind: 'Dataplane',
  validate(resource) {
    const findings: Finding[] = [];
    const networking = resource.spec.networking;
    const address = networking.address;
    if (address === '0.0.0.0' || address === '::') {
      findings.push({ code: 'GM313', path: ['networking', 'address'], message: `networking.address ${address} is a wildcard; use the proxy's own IP or hostname` });
    }
    const taken = new Map<string, string>();
    const claim = (addr: string, port: number, what: string, path: (string | number)[]) => {
      const key = `${addr}:${port}`;
      const other = taken.get(key);
      if (other) findings.push({ code: 'GM307', path, message: `${what} uses ${key}, already used by ${other}` });
      else taken.set(key, what);
    };
    (networking.inbound ?? []).forEach((inbound, i) => {
      for (const field of ['address', 'serviceAddress'] as const) {
        const value = inbound[field];
        if (value !== undefined && !isIP(value)) findings.push({ code: 'GM313', path: ['networking', 'inbound', i, field], message: `inbound ${field} ${JSON.stringify(value)} is not an IP address` });
      }
      claim(inbound.address ?? address, inbound.port, `inbound[${i}]`, ['networking', 'inbound', i, 'port']);
    });
    (networking.outbound ?? []).forEach((outbound, i) => {
      if (outbound.address !== undefined && !isIP(outbound.address)) {
        findings.push({ code: 'GM313', path: ['networking', 'outbound', i, 'address'], message: `outbound address ${JSON.stringify(outbound.address)} is not an IP address` });
      }
      claim(outbound.address ?? '127.0.0.1', outbound.port, `outbound[${i}]`, ['networking', 'outbound', i, 'port']);
    });
    const adminPort = networking.admin?.port;
    if (adminPort !== undefined) {
      for (const [key, what] of taken) {
        if (key.endsWith(`:${adminPort}`)) findings.push({ code: 'GM307', path: ['networking', 'admin', 'port'], message: `admin port ${adminPort} is also used by ${what}` });
      }
    }
    return findings;
  },
};
