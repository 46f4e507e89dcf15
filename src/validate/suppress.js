// Suppression: `gitmesh.io/lint-suppress` annotations and `--suppress CODE=KIND/NAME` rules.
import { CODES, isCode, UNSUPPRESSIBLE } from '../core/codes.js';
export const SUPPRESS_ANNOTATION = 'gitmesh.io/lint-suppress';
/** Parses `CODE[=KIND/NAME]` (globs allowed, e.g. `GM30*=MeshTimeout/*`); throws a usage Error when malformed. */
export function parseSuppressRule(text) {
    const [code, target = '*'] = text.split('=', 2);
    if (!/^[A-Z0-9*?]+$/i.test(code) || !/^[^/]+(\/[^/]+)?$/.test(target)) {
        throw new Error(`--suppress ${JSON.stringify(text)}: write CODE or CODE=KIND/NAME, e.g. GM304=MeshTimeout/legacy-*`);
    }
    const resource = target.includes('/') ? target : `${target}/*`;
    return { code: glob(code.toUpperCase()), resource: glob(resource), text };
}
function glob(pattern) {
    return new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}
/** What a resource's annotation suppresses, and findings about the annotation itself (GM314). */
export function annotationSuppressions(resource) {
    const codes = new Set();
    const value = resource.annotations[SUPPRESS_ANNOTATION];
    if (value === undefined)
        return { codes, findings: [] };
    const path = resource.envelope === 'kubernetes' ? ['metadata', 'annotations', SUPPRESS_ANNOTATION] : ['annotations', SUPPRESS_ANNOTATION];
    const findings = [];
    const colon = value.indexOf(':');
    const list = colon < 0 ? value : value.slice(0, colon);
    const reason = colon < 0 ? '' : value.slice(colon + 1).trim();
    if (!reason)
        findings.push({ code: 'GM314', path, message: `${SUPPRESS_ANNOTATION} gives no reason; write "CODES: why this is fine"` });
    for (const raw of list.split(',').map((s) => s.trim()).filter(Boolean)) {
        const code = raw.toUpperCase();
        if (!isCode(code))
            findings.push({ code: 'GM314', path, message: `${SUPPRESS_ANNOTATION} names ${JSON.stringify(raw)}, which is not a gitmesh code` });
        else if (UNSUPPRESSIBLE.has(code))
            findings.push({ code: 'GM314', path, message: `${code} (${CODES[code].name}) cannot be suppressed` });
        else
            codes.add(code);
    }
    return { codes, findings };
}
/** Whether a `--suppress` rule hides this code on this resource (or, with no resource, anywhere). */
export function suppressedByRule(rules, code, resource) {
    if (UNSUPPRESSIBLE.has(code))
        return false;
    const target = resource ? `${resource.kind}/${resource.name}` : '*/*';
    return rules.some((rule) => rule.code.test(code) && rule.resource.test(target));
}
