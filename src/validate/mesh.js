import { parseDuration } from '../core/duration.js';
const DATA_SOURCES = ['secret', 'file', 'inline', 'inlineString'];
/** What replaced each legacy Mesh backend section (KUMA.md §2). */
const LEGACY = {
    tracing: { policy: 'MeshTrace', reference: 'defaultBackend' },
    logging: { policy: 'MeshAccessLog', reference: 'defaultBackend' },
    metrics: { policy: 'MeshMetric', reference: 'enabledBackend' },
};
/**
 * Whether a certificate validity is one Kuma parses: a Go duration ("8760h"), or whole days and
 * years in front of one ("7d", "1y", "1y12h"; Kuma mesh ParseDuration), and above zero.
 */
export function isCertDuration(text) {
    const match = /^((?:[0-9]+[yd])*)(.*)$/.exec(text);
    if (!match)
        return false;
    const [, days = '', rest = ''] = match;
    if (rest === '')
        return days !== '' && /[1-9]/.test(days);
    const ms = parseDuration(rest);
    return ms !== undefined && (ms > 0 || /[1-9]/.test(days));
}
/**
 * Checks one schema-valid Mesh: its mTLS backends (Kuma 2.14 allows one, named uniquely, and
 * `enabledBackend` must name it; GM310), provided CA sources, membership rules, certificate
 * validities (GM205), and the legacy
 * tracing/logging/metrics sections, which gitmesh ignores (GM311 warning). Pure; paths are
 * relative to the body.
 */
export const meshValidator = {
    kind: 'Mesh',
    validate(resource) {
        const body = resource.spec ?? {};
        const findings = [];
        const mtls = body.mtls;
        if (mtls) {
            const backends = mtls.backends ?? [];
            if (backends.length > 1) {
                findings.push({ code: 'GM310', path: ['mtls', 'backends', 1], message: `Kuma 2.14 allows one mTLS backend, not ${backends.length}; keep the enabled one` });
            }
            const names = new Map();
            backends.forEach((backend, i) => {
                const first = names.get(backend.name);
                if (first !== undefined) {
                    findings.push({ code: 'GM310', path: ['mtls', 'backends', i, 'name'], message: `mTLS backend name ${JSON.stringify(backend.name)} is already used by backends[${first}]` });
                }
                else
                    names.set(backend.name, i);
                const expiration = backend.dpCert?.rotation?.expiration;
                if (expiration !== undefined && !isCertDuration(expiration)) {
                    findings.push({ code: 'GM205', path: ['mtls', 'backends', i, 'dpCert', 'rotation', 'expiration'], message: `dpCert.rotation.expiration ${JSON.stringify(expiration)} is not a duration above zero: write "24h", "7d" or "1y"` });
                }
                if (backend.type === 'provided' && backend.conf !== undefined) {
                    const conf = backend.conf;
                    for (const field of ['cert', 'key']) {
                        const count = Object.keys(conf[field]).length;
                        if (count !== 1) {
                            findings.push({ code: 'GM310', path: ['mtls', 'backends', i, 'conf', field], message: `${field} takes exactly one of ${DATA_SOURCES.join(', ')}, not ${count === 0 ? 'none' : count}` });
                        }
                    }
                }
                const caExpiration = backend.type === 'builtin' ? backend.conf?.caCert?.expiration : undefined;
                if (caExpiration !== undefined && !isCertDuration(caExpiration)) {
                    findings.push({ code: 'GM205', path: ['mtls', 'backends', i, 'conf', 'caCert', 'expiration'], message: `caCert.expiration ${JSON.stringify(caExpiration)} is not a duration above zero: write "8760h", "365d" or "10y"` });
                }
            });
            if (mtls.enabledBackend !== undefined && !names.has(mtls.enabledBackend)) {
                const known = [...names.keys()].map((n) => JSON.stringify(n)).join(', ');
                findings.push({
                    code: 'GM310',
                    path: ['mtls', 'enabledBackend'],
                    message: `enabledBackend ${JSON.stringify(mtls.enabledBackend)} names no backend of mtls.backends${known ? ` (there is ${known})` : ' (there are none)'}`,
                });
            }
        }
        const membership = body.constraints?.dataplaneProxy;
        for (const list of ['requirements', 'restrictions']) {
            membership?.[list]?.forEach((rule, i) => {
                if (Object.keys(rule.tags).length === 0) {
                    findings.push({ code: 'GM310', path: ['constraints', 'dataplaneProxy', list, i, 'tags'], message: `a membership rule needs at least one tag (an empty rule would match ${list === 'requirements' ? 'every' : 'and so refuse every'} proxy)` });
                }
            });
        }
        for (const [section, { policy, reference }] of Object.entries(LEGACY)) {
            const legacy = body[section];
            if (legacy === undefined)
                continue;
            findings.push({ code: 'GM311', path: [section], atKey: true, message: `Mesh.${section} is a legacy backend list that gitmesh does not apply (removed in Kuma 3.0); configure ${policy} policies instead` });
            const names = new Set();
            legacy.backends?.forEach((backend, i) => {
                if (names.has(backend.name))
                    findings.push({ code: 'GM310', path: [section, 'backends', i, 'name'], message: `${section} backend name ${JSON.stringify(backend.name)} is used twice` });
                names.add(backend.name);
            });
            const selected = legacy[reference];
            if (selected !== undefined && !names.has(selected)) {
                findings.push({ code: 'GM310', path: [section, reference], message: `${section}.${reference} ${JSON.stringify(selected)} names no backend of ${section}.backends` });
            }
        }
        return findings;
    },
};
