// Golden compile cases from files: `golden-<case>.input.yaml` → the IR and the xDS of one proxy.
//
// The input is validated together with test/fixtures/base-mesh.yaml and must have no error.
// Leading comments choose the proxy and, optionally, its flavour and another base fixture:
//   # proxy: default.web-1
//   # flavour: grpc
//   # base: test/fixtures/base-mesh-mtls.yaml
// Outputs sit beside it: golden-<case>.rules.golden.yaml (the IR `inspect` prints) and
// golden-<case>.{listeners,clusters,routes,endpoints}.golden.yaml, and golden-<case>.notes.golden.yaml
// for what could not apply (GM401/GM404); UPDATE_GOLDEN=1 rewrites them.
// Every resource must also round-trip through the protobuf codec unchanged, and on the grpc
// flavour pass grpc-js-xds's own validators.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildMeshContexts, compileProxy, findDataplane } from '../../src/compile/compile.js';
import type { Kind } from '../../src/core/resource.js';
import type { OutboundContext } from '../../src/policies/types.js';
import { validateFiles } from '../../src/policies/validate-files.js';
import { decodeResource, encodeResource } from '../../src/xds/encode.js';
import { RESOURCE_KEYS, TYPE_URLS, type XdsTypeName } from '../../src/xds/type-urls.js';
import { assertGolden } from './golden.js';
import { grpcClientAccepts } from './grpc-oracle.js';

const BASE = 'test/fixtures/base-mesh.yaml';
const TYPES: readonly XdsTypeName[] = ['lds', 'rds', 'cds', 'eds'];

/** Compiles a case file's proxy; throws with the diagnostics when the input is not valid. */
export function compileCase(text: string) {
  const proxyId = /^#\s*proxy:\s*(\S+)/m.exec(text)?.[1];
  const flavour = /^#\s*flavour:\s*(envoy|grpc)/m.exec(text)?.[1] as 'envoy' | 'grpc' | undefined;
  const base = /^#\s*base:\s*(\S+)/m.exec(text)?.[1] ?? BASE;
  if (!proxyId) throw new Error('the case has no `# proxy: MESH.NAME` line');
  const { resources, diagnostics } = validateFiles({
    files: [
      { path: 'base-mesh.yaml', bytes: readFileSync(base) },
      { path: 'case.yaml', bytes: new TextEncoder().encode(text) },
    ],
  });
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(`the case is invalid:\n${errors.map((d) => `${d.file}:${d.line}:${d.column} ${d.code} ${d.message}`).join('\n')}`);
  const found = findDataplane(buildMeshContexts(resources), proxyId);
  if (!found) throw new Error(`no Dataplane ${proxyId}`);
  return compileProxy(found.ctx, found.dataplane, flavour ? { flavour } : {});
}

/** Registers one test per golden case in `dir`. */
export function registerGoldenCases(dir: string, label: string, suite = test): void {
  const inputs = readdirSync(dir).filter((f) => /^golden-.*\.input\.yaml$/.test(f)).sort();
  for (const file of inputs) {
    const base = join(dir, file.replace(/\.input\.yaml$/, ''));
    suite(`${label}: ${file.replace(/\.input\.yaml$/, '')} compiles to its goldens`, () => {
      const text = readFileSync(join(dir, file), 'utf8');
      const { resolved, xds, notes } = compileCase(text);
      assertGolden(`${base}.rules.golden.yaml`, resolved);
      assertGolden(`${base}.notes.golden.yaml`, notes);
      for (const type of TYPES) {
        const key = RESOURCE_KEYS[type] as keyof typeof xds;
        assertGolden(`${base}.${key}.golden.yaml`, xds[key]);
        for (const resource of xds[key]) {
          const name = String(resource.name ?? resource.cluster_name);
          const bytes = encodeResource(TYPE_URLS[type], resource);
          assert.equal(decodeResource(TYPE_URLS[type], bytes), resource, `${key} ${name} is not in canonical proto3 JSON form`);
          if (resolved.proxy.flavour === 'grpc') {
            const verdict = grpcClientAccepts(TYPE_URLS[type], bytes);
            assert.ok(verdict.ok, `a gRPC client would reject ${key} ${name}: ${verdict.error}`);
          }
        }
      }
    });
  }
}

/** The hook context of one kind on a compiled proxy's first outbound (or the one `to` a service), for calling hooks again in tests. */
export function outboundHookContext(
  compiled: ReturnType<typeof compileCase>,
  kind: Kind,
  options: { to?: string; report?: OutboundContext['report']; service?: OutboundContext['service'] } = {},
): OutboundContext {
  const outbounds = compiled.resolved.outbounds;
  const outbound = (options.to === undefined ? outbounds[0] : outbounds.find((o) => o.outbound.service === options.to))!;
  return {
    proxy: compiled.resolved.proxy,
    mtls: false,
    report: options.report ?? (() => undefined),
    addCluster: () => undefined,
    outbound: outbound.outbound,
    service: options.service,
    conf: outbound.policies[kind]!.conf,
  };
}
