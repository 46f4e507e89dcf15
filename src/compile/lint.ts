// Compile every proxy of a valid repository and report, as diagnostics, what could not apply.
import { canonicalJson } from '../core/canonical-json.js';
import { diagnostic, type Diagnostic, type FieldPath } from '../core/diagnostics.js';
import { resourceId, type Resource } from '../core/resource.js';
import type { CompileNote } from '../policies/model.js';
import { annotationSuppressions, suppressedByRule, type SuppressRule } from '../validate/suppress.js';
import { buildMeshContexts, compileProxy } from './compile.js';

/** What compile notes can depend on: a Dataplane without its name and addresses. */
function shapeOf(dataplane: Resource): string {
  const { networking, ...rest } = (dataplane.spec ?? {}) as { networking?: Record<string, unknown> };
  const { address: _address, advertisedAddress: _advertised, inbound, ...net } = networking ?? {};
  const inbounds = ((inbound as Record<string, unknown>[] | undefined) ?? []).map(({ address: _a, serviceAddress: _s, ...i }) => i);
  return canonicalJson({ labels: dataplane.labels, rest, net, inbounds });
}

/** `to[0]` → ['to', 0]; a plain field name (`mtls`) → ['mtls']. */
function entryPath(entry: string): FieldPath {
  const indexed = [...entry.matchAll(/([A-Za-z]+)\[(\d+)\]/g)].flatMap((m) => [m[1]!, Number(m[2])]);
  return indexed.length > 0 ? indexed : entry ? [entry] : [];
}

/**
 * Compiles every Dataplane (in its own flavour) and turns compile notes (GM401, GM404) into
 * warnings at the policy entry they came from, one per entry and message, naming how many
 * proxies it concerns. A compile failure is GM403 at the Dataplane. Honours suppressions.
 */
export function lintCompiled(resources: readonly Resource[], suppress: readonly SuppressRule[] = []): { diagnostics: Diagnostic[]; suppressed: number } {
  const byId = new Map(resources.map((r) => [resourceId(r), r]));
  const found = new Map<string, { note: CompileNote; proxies: string[] }>();
  const diagnostics: Diagnostic[] = [];
  for (const ctx of buildMeshContexts(resources).values()) {
    // Notes never depend on a proxy's name or addresses: compile one proxy per shape (replicas share one).
    const shapes = new Map<string, string[]>();
    const first = new Map<string, (typeof ctx.dataplanes)[number]>();
    for (const dataplane of ctx.dataplanes) {
      const key = shapeOf(dataplane);
      const ids = shapes.get(key);
      if (ids) ids.push(`${dataplane.mesh}.${dataplane.name}`);
      else shapes.set(key, [`${dataplane.mesh}.${dataplane.name}`]), first.set(key, dataplane);
    }
    for (const [key, ids] of shapes) {
      const dataplane = first.get(key)!;
      let notes: readonly CompileNote[];
      try {
        notes = compileProxy(ctx, dataplane).notes;
      } catch (error) {
        const at = dataplane.origin.locate([]);
        diagnostics.push(diagnostic('GM403', { file: dataplane.origin.file, ...at }, `compiling ${dataplane.mesh}.${dataplane.name} failed: ${(error as Error).message}`, { kind: 'Dataplane', name: dataplane.name }));
        continue;
      }
      for (const note of notes) {
        const origin = note.origins[0];
        const noteKey = `${note.code}|${note.message}|${origin ? `${origin.kind}/${origin.name}/${origin.entry}` : ''}`;
        const seen = found.get(noteKey);
        if (seen) seen.proxies.push(...ids);
        else found.set(noteKey, { note, proxies: [...ids] });
      }
    }
  }
  let suppressed = 0;
  for (const { note, proxies } of found.values()) {
    const origin = note.origins[0];
    const resource = origin && byId.get(resourceId({ kind: origin.kind, mesh: proxies[0]!.slice(0, proxies[0]!.indexOf('.')), name: origin.name }));
    const path = resource && origin ? [...resource.specPath, ...entryPath(origin.entry)] : [];
    const at = resource ? resource.origin.locate(path) : { line: 1, column: 1 };
    const which = proxies.length === 1 ? `proxy ${proxies[0]}` : `${proxies.length} proxies (${proxies.slice(0, 3).join(', ')}${proxies.length > 3 ? ', …' : ''})`;
    const d = diagnostic(note.code, { file: resource?.origin.file ?? '.', ...at }, `${note.message} — on ${which}`, {
      path,
      kind: note.kind,
      ...(origin && { name: origin.name }),
    });
    const hidden = (resource && annotationSuppressions(resource).codes.has(note.code)) || suppressedByRule(suppress, note.code, resource);
    if (hidden) suppressed++;
    else diagnostics.push(d);
  }
  return { diagnostics, suppressed };
}
