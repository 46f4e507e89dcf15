// Section rules shared by policy kinds: which of targetRef/from/to/rules/default go together.
import type { Finding } from '../core/diagnostics.js';

type Section = 'from' | 'to' | 'rules' | 'default';

/**
 * Checks Kuma's section rules (KUMA.md §10): with `exclusiveRules`, `rules` excludes `to` and
 * `from`; `requireOneOf` needs at least one of the listed sections to be present.
 */
export function sectionRules(
  spec: Partial<Record<Section, unknown>>,
  options: { exclusiveRules?: boolean; requireOneOf?: readonly Section[] },
): Finding[] {
  const findings: Finding[] = [];
  if (options.exclusiveRules && spec.rules !== undefined) {
    for (const other of ['to', 'from'] as const) {
      if (spec[other] !== undefined) findings.push({ code: 'GM309', path: [other], message: `\`${other}\` cannot be combined with \`rules\`; move it into \`rules\` or a separate policy`, atKey: true });
    }
  }
  const required = options.requireOneOf;
  if (required && !required.some((s) => spec[s] !== undefined)) {
    findings.push({ code: 'GM309', path: [], message: `the spec needs at least one of ${required.map((s) => `\`${s}\``).join(', ')}` });
  }
  return findings;
}

/**
 * Whether a top-level targetRef can select gateway proxies (Kuma common_api.IncludesGateways,
 * 2.14): MeshGateway and MeshHTTPRoute always; Mesh and MeshSubset unless `proxyTypes` leaves
 * out Gateway. An absent targetRef means `kind: Mesh`.
 */
export function includesGateways(ref: { kind: string; proxyTypes?: readonly string[] } | undefined): boolean {
  const kind = ref?.kind ?? 'Mesh';
  if (kind === 'MeshGateway' || kind === 'MeshHTTPRoute') return true;
  if (kind !== 'Mesh' && kind !== 'MeshSubset') return false;
  const types = ref?.proxyTypes ?? [];
  return types.length === 0 || types.includes('Gateway');
}
