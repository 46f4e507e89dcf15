// example-repo/ is the demo mesh `npm start` serves: it must validate clean and show every kind.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KINDS, type Resource } from '../src/core/resource.js';
import { validateFiles } from '../src/policies/validate-files.js';
import { readFolder } from '../src/source/folder.js';
import { isProxyless, PROTOCOL_TAG } from '../src/validate/dataplane.js';
import { SERVICE_TAG } from '../src/validate/repository-index.js';

interface Inbound {
  tags?: Record<string, string>;
}

async function example() {
  const { files, diagnostics } = await readFolder('example-repo');
  return validateFiles({ files, sourceDiagnostics: diagnostics });
}

/** Every served service of the example with its protocol, from the Dataplane inbounds. */
function services(resources: readonly Resource[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const dp of resources.filter((r) => r.kind === 'Dataplane')) {
    const inbounds = (dp.spec as { networking: { inbound?: Inbound[] } }).networking.inbound ?? [];
    for (const tags of inbounds.map((i) => i.tags ?? {})) {
      const service = tags[SERVICE_TAG];
      if (service === undefined) continue;
      out.set(service, (out.get(service) ?? new Set()).add(tags[PROTOCOL_TAG] ?? 'tcp'));
    }
  }
  return out;
}

test('given example-repo, when it is validated, then there is no diagnostic at all', async () => {
  const { diagnostics, summary } = await example();
  const shown = diagnostics.map((d) => `${d.file}:${d.line}:${d.column} ${d.code} ${d.message}`).join('\n');
  assert.is(shown, '', 'example-repo must validate with 0 errors and 0 warnings');
  assert.ok(summary.resources > 0);
});

test('example-repo has at least one resource of every kind', async () => {
  const { resources } = await example();
  const missing = KINDS.filter((kind) => !resources.some((r) => r.kind === kind));
  assert.equal(missing, [], 'kinds without an example');
});

test('example-repo serves at least six services, over http, grpc and tcp', async () => {
  const byService = services((await example()).resources);
  assert.ok(byService.size >= 6, `services: ${[...byService.keys()].join(', ')}`);
  const protocols = new Set([...byService.values()].flatMap((p) => [...p]));
  for (const protocol of ['http', 'grpc', 'tcp']) assert.ok(protocols.has(protocol), `a ${protocol} service`);
});

test('example-repo has replicas, a proxyless gRPC client, and both envelopes', async () => {
  const { resources } = await example();
  const dataplanes = resources.filter((r) => r.kind === 'Dataplane');
  const perApp = new Map<string, number>();
  for (const dp of dataplanes) perApp.set(dp.labels.app ?? '', (perApp.get(dp.labels.app ?? '') ?? 0) + 1);
  assert.ok([...perApp.values()].filter((n) => n > 1).length >= 2, 'two services with several replicas');
  assert.ok(dataplanes.some((dp) => isProxyless(dp.labels)), 'a Dataplane labelled gitmesh.io/proxyless: "true"');
  assert.ok(resources.some((r) => r.envelope === 'universal') && resources.some((r) => r.envelope === 'kubernetes'), 'both envelopes');
});

test.run();
