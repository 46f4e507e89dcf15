// Renders the IR of one proxy for `gitmesh inspect`: which policies matched where, and what won.
import { canonicalJson } from '../../core/canonical-json.js';
import type { CompileNote, PolicyOrigin, ResolvedProxy } from '../../policies/model.js';

const origin = (o: PolicyOrigin) => `${o.name} ${o.entry} [${o.matched}] (${o.file})`;
const mergedFrom = (origins: readonly PolicyOrigin[]) =>
  origins.length > 1 ? `merged from ${origins.map(origin).join(', then ')}; each later entry wins the fields it sets` : `from ${origins.map(origin).join('')}`;

/**
 * Text: per inbound and outbound, each kind that matched, the entries merged (lowest priority
 * first; the last one wins a field both set) and the merged conf. Pure.
 */
export function renderInspectText(input: { resolved: ResolvedProxy; notes: readonly CompileNote[]; commit: string | null }): string {
  const { proxy, inbounds, outbounds } = input.resolved;
  const lines: string[] = [`${proxy.id} (${proxy.flavour === 'grpc' ? 'proxyless gRPC' : 'Envoy sidecar'})${input.commit ? ` at ${input.commit.slice(0, 12)}` : ''}`];
  const none = '    (no policy)';
  for (const { inbound, policies } of inbounds) {
    lines.push(`  inbound ${inbound.name} ${inbound.address}:${inbound.port} → ${inbound.serviceAddress}:${inbound.servicePort} (${inbound.service}, ${inbound.protocol})`);
    const kinds = Object.entries(policies);
    if (kinds.length === 0) lines.push(none);
    for (const [kind, rules] of kinds) {
      lines.push(`    ${kind}`);
      for (const rule of rules ?? []) {
        const clients = rule.clients.kind === 'Mesh' ? 'every client' : `${rule.clients.kind}${rule.clients.name ? ` ${rule.clients.name}` : ''}${rule.clients.tags ? ` ${canonicalJson(rule.clients.tags)}` : ''}`;
        lines.push(`      from ${clients}${rule.matches !== undefined ? ` matching ${canonicalJson(rule.matches)}` : ''}: ${canonicalJson(rule.conf)}`);
        lines.push(`        ${mergedFrom(rule.origins)}`);
      }
    }
  }
  for (const { outbound, policies } of outbounds) {
    lines.push(`  outbound ${outbound.service} ${outbound.address}:${outbound.port} (${outbound.protocol})`);
    const kinds = Object.entries(policies);
    if (kinds.length === 0) lines.push(none);
    for (const [kind, resolved] of kinds) {
      lines.push(`    ${kind}: ${canonicalJson(resolved?.conf)}`);
      lines.push(`      ${mergedFrom(resolved?.origins ?? [])}`);
    }
  }
  for (const [route, kinds] of Object.entries(input.resolved.routeLevel ?? {})) {
    lines.push(`  routes of MeshHTTPRoute ${route}`);
    for (const [kind, resolved] of Object.entries(kinds)) {
      lines.push(`    ${kind}: ${canonicalJson(resolved?.conf)}`);
      lines.push(`      ${mergedFrom(resolved?.origins ?? [])}`);
    }
  }
  for (const note of input.notes) lines.push(`  ${note.code} ${note.kind}: ${note.message}`);
  return lines.join('\n') + '\n';
}
