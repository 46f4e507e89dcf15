// planOf (pure) and the renderers on hand-made sides: pairing, counting, laziness, grouping, and the Markdown size bounds.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodedResources, planOf, type PlanProxy, type PlanResource, type PlanSide } from '../../src/plan/plan.js';
import { renderPlanMarkdown } from '../../src/plan/render/markdown.js';
import { renderPlanText } from '../../src/plan/render/text.js';

const T = { cluster: 'type.googleapis.com/envoy.config.cluster.v3.Cluster', route: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration' };

function proxy(resources: Record<string, unknown[]>, versions: Record<string, string>, flavour: string | null = 'envoy', onDecode = () => {}): PlanProxy {
  const lists = decodedResources(resources);
  return {
    flavour,
    versions,
    resources: (type) => {
      onDecode();
      return lists(type);
    },
  };
}

function resource(name: string, spec: unknown, kind: PlanResource['kind'] = 'MeshTimeout'): PlanResource {
  return { kind, mesh: 'default', name, file: 'p.yaml', body: { labels: {}, annotations: {}, spec } };
}

function side(proxies: Record<string, PlanProxy>, resources: PlanResource[] | null = []): PlanSide {
  return { commit: null, resources, proxies: new Map(Object.entries(proxies)) };
}

const V = { listeners: 'l1', clusters: 'c1', endpoints: 'e1', routes: 'r1', secrets: 's1' };

test('given equal versions on both sides, when planned, then the proxy is unchanged and never decoded', () => {
  let decoded = 0;
  const a = proxy({}, V, 'envoy', () => decoded++);
  const plan = planOf({ desired: { ...side({ 'default.a': a }), ref: null }, base: { ...side({ 'default.a': a }), ref: null, live: null } });
  assert.is(decoded, 0);
  assert.equal([plan.changed, plan.proxies, plan.totals.proxies.unchanged], [false, [], 1]);
});

test('only the types whose versions differ are read; equal hashes are not decoded; a pair of hashes is diffed once', () => {
  const read: string[] = [];
  let decodes = 0;
  const res = (hash: string, body: object) => ({ hash, json: () => (decodes++, body) });
  const make = (version: string, hash: string, body: object): PlanProxy => ({
    flavour: 'envoy',
    versions: { ...V, clusters: version },
    resources: (type) => (read.push(type), new Map([['same', res('h0', { name: 'same' })], ['c', res(hash, body)]])),
  });
  const plan = planOf({
    desired: { ...side({ 'm.a': make('c2', 'h2', { name: 'c', t: 2 }), 'm.b': make('c2', 'h2', { name: 'c', t: 2 }) }), ref: null },
    base: { ...side({ 'm.a': make('c1', 'h1', { name: 'c', t: 1 }), 'm.b': make('c1', 'h1', { name: 'c', t: 1 }) }), ref: null, live: null },
  });
  assert.equal(read, ['clusters', 'clusters', 'clusters', 'clusters']);
  assert.is(decodes, 2, 'the changed pair once, for both proxies');
  assert.equal(plan.proxies.map((p) => p.xds), [
    [{ type: 'clusters', name: 'c', change: 'changed', fields: [{ path: 't', change: 'changed', before: 1, after: 2 }] }],
    [{ type: 'clusters', name: 'c', change: 'changed', fields: [{ path: 't', change: 'changed', before: 1, after: 2 }] }],
  ]);
});

test('given different versions but equal content, the proxy is unchanged (nothing would change on it)', () => {
  const c = [{ '@type': T.cluster, name: 'web' }];
  const plan = planOf({
    desired: { ...side({ 'default.a': proxy({ clusters: c }, { ...V, clusters: 'c2' }) }), ref: null },
    base: { ...side({ 'default.a': proxy({ clusters: c }, V) }), ref: null, live: null },
  });
  assert.equal([plan.changed, plan.totals.proxies.unchanged], [false, 1]);
});

test('xDS resources are paired by type and name (cluster_name for endpoints) and listed by type then name', () => {
  const base = proxy({ clusters: [{ name: 'b', connect_timeout: '5s' }, { name: 'gone' }], endpoints: [{ cluster_name: 'b', endpoints: [] }] }, V);
  const desired = proxy({ clusters: [{ name: 'a' }, { name: 'b', connect_timeout: '3s' }], endpoints: [{ cluster_name: 'b', endpoints: [{}] }], routes: [{ name: 'r' }] }, { listeners: 'l1', clusters: 'c2', endpoints: 'e2', routes: 'r2', secrets: 's1' });
  const plan = planOf({ desired: { ...side({ 'm.p': desired }), ref: null }, base: { ...side({ 'm.p': base }), ref: null, live: null } });
  const p = plan.proxies[0]!;
  assert.equal(p.xds.map((x) => `${x.change} ${x.type}/${x.name}`), ['added clusters/a', 'changed clusters/b', 'removed clusters/gone', 'changed endpoints/b', 'added routes/r']);
  assert.equal(p.xds[1]!.fields, [{ path: 'connect_timeout', change: 'changed', before: '5s', after: '3s' }]);
  assert.equal(p.versions, { clusters: { base: 'c1', desired: 'c2' }, endpoints: { base: 'e1', desired: 'e2' }, routes: { base: 'r1', desired: 'r2' } });
  assert.equal(plan.totals.xds, { added: 2, changed: 2, removed: 1 });
});

test('proxies only on one side are added or removed with every resource; a flavour change is reported', () => {
  const plan = planOf({
    desired: { ...side({ 'm.new': proxy({ listeners: [{ name: 'l' }] }, V), 'm.flip': proxy({}, { ...V, listeners: 'x' }, 'grpc') }), ref: null },
    base: { ...side({ 'm.old': proxy({ clusters: [{ name: 'c' }] }, V), 'm.flip': proxy({}, V, 'envoy') }), ref: null, live: null },
  });
  assert.equal(plan.proxies.map((p) => [p.id, p.change, p.flavour, p.baseFlavour]), [
    ['m.flip', 'changed', 'grpc', 'envoy'],
    ['m.new', 'added', 'envoy', undefined],
    ['m.old', 'removed', 'envoy', undefined],
  ]);
  assert.equal(plan.proxies[1]!.versions.listeners, { base: null, desired: 'l1' });
  assert.match(renderPlanText(plan), /~ m\.flip \(grpc\): flavour envoy → grpc/);
});

test('resources pair by kind, mesh and name; a moved but equal resource is unchanged; resources null means not compared', () => {
  const moved = { ...resource('t', { a: 1 }), file: 'elsewhere.yaml' };
  const plan = planOf({
    desired: { ...side({}, [moved, resource('n', {}), resource('c', { x: 2 })]), ref: null },
    base: { ...side({}, [resource('t', { a: 1 }), resource('c', { x: 1 }), resource('c', { x: 1 }, 'MeshRetry')]), ref: null, live: null },
  });
  assert.equal(plan.resources?.map((r) => `${r.change} ${r.kind}/${r.name}`), ['changed MeshTimeout/c', 'added MeshTimeout/n', 'removed MeshRetry/c']);
  assert.equal(plan.totals.resources, { added: 1, changed: 1, removed: 1, unchanged: 1 });
  assert.equal(plan.resources?.[0]?.fields, [{ path: 'spec.x', change: 'changed', before: 1, after: 2 }]);
  const unknown = planOf({ desired: { ...side({}, [moved]), ref: null }, base: { ...side({}, null), ref: null, live: 'http://x' }, notes: ['why'] });
  assert.equal([unknown.resources, unknown.totals.resources, unknown.changed, unknown.notes], [null, null, false, ['why']]);
});

test('replicas with the same change are rendered once, their ids together', () => {
  const base = proxy({ routes: [{ name: 'r', w: 1 }] }, V);
  const desired = proxy({ routes: [{ name: 'r', w: 2 }] }, { ...V, routes: 'r2' });
  const plan = planOf({ desired: { ...side({ 'm.a-1': desired, 'm.a-2': desired }), ref: null }, base: { ...side({ 'm.a-1': base, 'm.a-2': base }), ref: null, live: null } });
  assert.is(plan.proxies.length, 2);
  assert.match(renderPlanText(plan), /~ m\.a-1, m\.a-2 \(envoy\): routes: 1 changed\n {6}~ routes\/r\n {10}~ w: 1 → 2\n/);
  assert.match(renderPlanMarkdown(plan), /<code>m\.a-1<\/code>, <code>m\.a-2<\/code>/);
});

/** A plan of `n` proxies each with its own large change. */
function hugePlan(n: number, fields: number) {
  const base: Record<string, PlanProxy> = {};
  const desired: Record<string, PlanProxy> = {};
  for (let i = 0; i < n; i++) {
    const id = `default.svc-${String(i).padStart(4, '0')}`;
    const values = (v: number) => Object.fromEntries(Array.from({ length: fields }, (_, f) => [`field_${f}`, `${id}-${v}-${'x'.repeat(40)}`]));
    base[id] = proxy({ clusters: [{ name: id, ...values(1) }] }, V);
    desired[id] = proxy({ clusters: [{ name: id, ...values(2) }] }, { ...V, clusters: 'c2' });
  }
  return planOf({ desired: { ...side(desired), ref: 'feature' }, base: { ...side(base), ref: 'main', live: null } });
}

test('markdown of a huge plan stays within the byte budget and says how many proxies it leaves out', () => {
  const plan = hugePlan(2000, 5);
  const limits = { maxBytes: 1024 * 1024, maxLinesPerBlock: 80 };
  const out = renderPlanMarkdown(plan, limits);
  assert.ok(Buffer.byteLength(out) <= limits.maxBytes, `${Buffer.byteLength(out)} bytes`);
  const hidden = Number(/(\d+) proxies more not shown/.exec(out)?.[1]);
  const shown = (out.match(/<details>/g) ?? []).length;
  assert.is(shown + hidden, 2000);
  assert.ok(shown > 100, `${shown} shown`);
  assert.ok(out.endsWith(`_Plan: no resource changes; 2000 proxies changed, 0 unchanged; 2000 xDS resources changed._\n`), out.slice(-300));
});

test('markdown cuts a long block at the line limit and counts the rest', () => {
  const out = renderPlanMarkdown(hugePlan(1, 50), { maxBytes: 60_000, maxLinesPerBlock: 10 });
  const block = /```diff\n([\s\S]*?)\n```/.exec(out)![1]!.split('\n');
  assert.is(block.length, 11);
  assert.is(block[10], '# … 91 more lines not shown (gitmesh plan --format json has them all)');
});

test('markdown code fences and spans survive backticks and HTML in values and names', () => {
  const base = proxy({ routes: [{ name: 'r<b>', v: 'a' }] }, V);
  const desired = proxy({ routes: [{ name: 'r<b>', v: '```js\nboom' }] }, { ...V, routes: 'r2' });
  const out = renderPlanMarkdown(planOf({ desired: { ...side({ 'm.<b>': desired }), ref: null }, base: { ...side({ 'm.<b>': base }), ref: null, live: null } }));
  assert.match(out, /````diff\n@@ routes\/r<b> @@\n/, 'literal inside a fence');
  assert.match(out, /<summary>~ <code>m\.&lt;b&gt;<\/code> \(envoy\)/, 'escaped in HTML');
});

test.run();
