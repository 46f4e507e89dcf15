// Kuma's matching, ranking and merging (KUMA.md §3.3), on the proxy model.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { InboundView, ProxyView } from '../../../src/policies/model.js';
import { coversClients, coversOutbound, selectProxy } from '../../../src/policies/target-ref/match.js';
import { mergeConf } from '../../../src/policies/target-ref/merge.js';
import { compareRank, type RankedEntry } from '../../../src/policies/target-ref/rank.js';

const inbound = (name: string, service: string, tags: Record<string, string> = {}): InboundView => ({
  name, address: '10.0.0.1', port: name === 'http' ? 8080 : 9090, serviceAddress: '127.0.0.1', servicePort: 8080,
  service, protocol: 'http', tags: { 'kuma.io/service': service, ...tags },
});
const proxy: ProxyView = {
  id: 'default.backend-1', mesh: 'default', name: 'backend-1', labels: { app: 'backend', team: 'core' }, flavour: 'envoy',
  address: '10.0.0.1',
  inbounds: [inbound('http', 'backend', { version: 'v1' }), inbound('admin', 'backend-admin')],
  outbounds: [{ service: 'db', address: '127.0.0.1', port: 10001, protocol: 'tcp' }],
};
const names = (selection: ReturnType<typeof selectProxy>) => selection && { inbounds: selection.inbounds.map((i) => i.name), outbounds: selection.outbounds };

test('Mesh (or no targetRef) selects every inbound and the outbounds; proxyTypes [Gateway] selects no sidecar', () => {
  assert.equal(names(selectProxy(undefined, proxy)), { inbounds: ['http', 'admin'], outbounds: true });
  assert.equal(names(selectProxy({ kind: 'Mesh', proxyTypes: ['Sidecar'] }, proxy)), { inbounds: ['http', 'admin'], outbounds: true });
  assert.is(selectProxy({ kind: 'Mesh', proxyTypes: ['Gateway'] }, proxy), null);
});

test('Dataplane selects by name or labels, and sectionName narrows to one inbound (by name or port)', () => {
  assert.equal(names(selectProxy({ kind: 'Dataplane', name: 'backend-1' }, proxy)), { inbounds: ['http', 'admin'], outbounds: true });
  assert.is(selectProxy({ kind: 'Dataplane', name: 'backend-2' }, proxy), null);
  assert.equal(names(selectProxy({ kind: 'Dataplane', labels: { app: 'backend' } }, proxy))?.outbounds, true);
  assert.is(selectProxy({ kind: 'Dataplane', labels: { app: 'backend', team: 'edge' } }, proxy), null);
  assert.equal(names(selectProxy({ kind: 'Dataplane', labels: { app: 'backend' }, sectionName: 'admin' }, proxy)), { inbounds: ['admin'], outbounds: false });
  assert.equal(names(selectProxy({ kind: 'Dataplane', name: 'backend-1', sectionName: '8080' }, proxy)), { inbounds: ['http'], outbounds: false });
  assert.is(selectProxy({ kind: 'Dataplane', name: 'backend-1', sectionName: 'grpc' }, proxy), null);
});

test('MeshService, MeshServiceSubset and MeshSubset select the inbounds whose tags match', () => {
  assert.equal(names(selectProxy({ kind: 'MeshService', name: 'backend-admin' }, proxy)), { inbounds: ['admin'], outbounds: true });
  assert.equal(names(selectProxy({ kind: 'MeshServiceSubset', name: 'backend', tags: { version: 'v1' } }, proxy))?.inbounds, ['http']);
  assert.is(selectProxy({ kind: 'MeshServiceSubset', name: 'backend', tags: { version: 'v2' } }, proxy), null);
  assert.equal(names(selectProxy({ kind: 'MeshSubset', tags: { version: 'v1' } }, proxy))?.inbounds, ['http']);
  assert.is(selectProxy({ kind: 'MeshGateway', name: 'edge' }, proxy), null);
});

test('to[] targetRefs cover outbounds by service and optional port', () => {
  const db = proxy.outbounds[0]!;
  assert.ok(coversOutbound({ kind: 'Mesh' }, db));
  assert.ok(coversOutbound({ kind: 'MeshService', name: 'db' }, db));
  assert.ok(coversOutbound({ kind: 'MeshService', name: 'db', sectionName: '10001' }, db));
  assert.not.ok(coversOutbound({ kind: 'MeshService', name: 'db', sectionName: '5432' }, db));
  assert.not.ok(coversOutbound({ kind: 'MeshService', name: 'web' }, db));
});

test('from[] client selectors contain each other as tag sets do', () => {
  assert.ok(coversClients({ kind: 'Mesh' }, { kind: 'MeshService', name: 'web' }));
  assert.ok(coversClients({ kind: 'MeshService', name: 'web' }, { kind: 'MeshServiceSubset', name: 'web', tags: { version: 'v2' } }));
  assert.not.ok(coversClients({ kind: 'MeshServiceSubset', name: 'web', tags: { version: 'v2' } }, { kind: 'MeshService', name: 'web' }));
  assert.not.ok(coversClients({ kind: 'MeshService', name: 'web' }, { kind: 'Mesh' }));
  assert.ok(coversClients({ kind: 'MeshSubset', tags: { team: 'a' } }, { kind: 'MeshSubset', tags: { team: 'a', env: 'prod' } }));
});

test('rank: more specific top-level kinds, roles and items come later; the smallest name wins ties', () => {
  const e = (name: string, top: RankedEntry['top'], labels: Record<string, string> = {}, item?: RankedEntry['item']): RankedEntry => ({ name, top, labels, ...(item && { item }) });
  const entries = [
    e('z-dp-name', { kind: 'Dataplane', name: 'backend-1' }),
    e('b-mesh', undefined),
    e('a-mesh', { kind: 'Mesh' }),
    e('dp-labels', { kind: 'Dataplane', labels: { app: 'backend' } }),
    e('dp-section', { kind: 'Dataplane', labels: { app: 'backend' }, sectionName: 'http' }),
    e('svc', { kind: 'MeshService', name: 'backend' }),
    e('consumer', { kind: 'Mesh' }, { 'kuma.io/policy-role': 'consumer' }),
    e('zone', { kind: 'Mesh' }, { 'kuma.io/origin': 'zone' }),
  ];
  assert.equal([...entries].sort(compareRank).map((x) => x.name), ['b-mesh', 'a-mesh', 'consumer', 'zone', 'dp-labels', 'z-dp-name', 'dp-section', 'svc']);
  const to = (name: string, ref: { kind: string; name?: string; sectionName?: string }) => e(name, undefined, {}, { section: 'to', ref });
  assert.equal([to('x', { kind: 'MeshService', name: 'db', sectionName: '1' }), to('y', { kind: 'MeshService', name: 'db' }), to('z', { kind: 'Mesh' })].sort(compareRank).map((x) => x.name), ['z', 'y', 'x']);
});

test('merge is RFC 7396 with lists replaced whole and append* lists joined, never mutating inputs', () => {
  const base = Object.freeze({ a: 1, nested: Object.freeze({ x: 1, y: 2 }), list: Object.freeze([1, 2]), appendThings: Object.freeze(['a']) });
  const patch = Object.freeze({ nested: Object.freeze({ y: 3 }), list: Object.freeze([9]), appendThings: Object.freeze(['b']), a: null });
  assert.equal(mergeConf(base, patch), { nested: { x: 1, y: 3 }, list: [9], appendThings: ['a', 'b'] });
  assert.equal(mergeConf(undefined, { k: 1 }), { k: 1 });
  assert.equal(mergeConf({ k: 1 }, []), []);
});

test.run();
