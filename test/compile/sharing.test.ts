// Work shared between proxies of one commit (policy index, outbound fragments) never shows in results.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { buildMeshContexts, compileProxy } from '../../src/compile/compile.js';
import { exampleFiles, validResources } from './example-repo-compile.js';

const resources = validResources(await exampleFiles());

test('each proxy compiles the same with a shared context as with a context of its own, in both flavours', () => {
  const shared = buildMeshContexts(resources).get('default')!;
  for (const flavour of ['envoy', 'grpc'] as const) {
    for (const dataplane of shared.dataplanes) {
      const alone = buildMeshContexts(resources).get('default')!;
      const own = compileProxy(alone, alone.dataplanes.find((d) => d.name === dataplane.name)!, { flavour });
      const viaShared = compileProxy(shared, dataplane, { flavour });
      assert.equal(JSON.parse(JSON.stringify(viaShared)), JSON.parse(JSON.stringify(own)), `${dataplane.name} (${flavour})`);
    }
  }
});

test('replicas with the same labels and policies share outbound resources as objects', () => {
  const ctx = buildMeshContexts(resources).get('default')!;
  const replicas = ctx.dataplanes.filter((d) => d.labels.app === 'orders' && d.labels.version === 'v1');
  assert.ok(replicas.length >= 2, 'example-repo has two orders v1 replicas');
  const [a, b] = replicas.map((d) => compileProxy(ctx, d).xds);
  const outboundClusters = (x: typeof a) => x!.clusters.filter((c) => !String(c.name).startsWith('localhost:'));
  assert.ok(outboundClusters(a!).length > 0);
  outboundClusters(a!).forEach((cluster, i) => assert.ok(cluster === outboundClusters(b!)[i], `cluster ${String(cluster.name)} is one shared object`));
  const inbound = (x: typeof a) => x!.listeners.find((l) => String(l.name).startsWith('inbound:'))!;
  assert.not.equal(inbound(a!).name, inbound(b!).name, 'inbound listeners stay per replica');
});

test.run();
