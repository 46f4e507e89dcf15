// Delta (incremental) ADS against the server, over real grpc-js streams on 127.0.0.1.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DELTA_ADS_METHOD, type DeltaDiscoveryRequestInput, type DeltaDiscoveryResponse } from '../../src/xds/ads/codec.js';
import { resourceVersion } from '../../src/xds/ads/delta.js';
import { startAdsServer, type AdsServer } from '../../src/xds/ads/server.js';
import { SnapshotCache } from '../../src/xds/cache.js';
import type { Snapshot } from '../../src/xds/snapshot.js';
import { TYPE_URLS, type XdsTypeName } from '../../src/xds/type-urls.js';
import { AdsStream, decodedName, dropCluster, loadFixtures, namesOf, node, NODE, renameListener, shortType, variant, type Fixtures } from './ads-harness.js';

class DeltaClient extends AdsStream<DeltaDiscoveryRequestInput, DeltaDiscoveryResponse> {
  constructor(address: string) {
    super(address, DELTA_ADS_METHOD, (r) => `${shortType(r.type_url)} +${r.resources.map((x) => x.name).join(',')} -${r.removed_resources.join(',')}`);
  }

  ack(response: DeltaDiscoveryResponse): void {
    this.send({ type_url: response.type_url, response_nonce: response.nonce });
  }
}

/** The names a response sends, checked against their bytes and versions. */
function sent(response: DeltaDiscoveryResponse): string[] {
  return response.resources.map((r) => {
    assert.is(r.resource.type_url, response.type_url, 'every Any carries the response type_url');
    assert.is(decodedName(r.resource.type_url, r.resource.value), r.name, 'the name matches the resource');
    return r.name;
  });
}

/** The per-resource versions a snapshot holds for `type`. */
function versionsOf(snapshot: Snapshot, type: XdsTypeName): Record<string, string> {
  return Object.fromEntries(snapshot.resources[type].map((r) => [r.name, resourceVersion(r)]));
}

const test = suite<{ cache: SnapshotCache; server?: AdsServer; clients: DeltaClient[]; f: Fixtures }>('ads delta', {
  cache: new SnapshotCache(),
  clients: [],
  f: undefined as unknown as Fixtures,
});

test.before.each(async (ctx) => {
  ctx.f = await loadFixtures();
  ctx.cache = new SnapshotCache();
  ctx.server = await startAdsServer({ source: ctx.cache, host: '127.0.0.1', port: 0 });
  ctx.clients = [];
});
test.after.each(async (ctx) => {
  for (const client of ctx.clients) client.close();
  await ctx.server?.close();
});

function connect(ctx: { server?: AdsServer; clients: DeltaClient[] }): DeltaClient {
  const client = new DeltaClient(ctx.server!.address);
  ctx.clients.push(client);
  return client;
}

/** As Envoy subscribes: wildcard CDS and LDS (no names), named EDS and RDS. */
function subscribeAll(client: DeltaClient, snapshot: Snapshot, initial: Partial<Record<XdsTypeName, Record<string, string>>> = {}): void {
  const first = (type: XdsTypeName) => (initial[type] ? { initial_resource_versions: initial[type] } : {});
  client.send({ node, type_url: TYPE_URLS.cds, ...first('cds') });
  client.send({ type_url: TYPE_URLS.eds, resource_names_subscribe: namesOf(snapshot, 'eds'), ...first('eds') });
  client.send({ type_url: TYPE_URLS.lds, ...first('lds') });
  client.send({ type_url: TYPE_URLS.rds, resource_names_subscribe: namesOf(snapshot, 'rds'), ...first('rds') });
}

async function settled(ctx: { server?: AdsServer; clients: DeltaClient[]; cache: SnapshotCache; f: Fixtures }): Promise<{ client: DeltaClient; first: DeltaDiscoveryResponse[] }> {
  ctx.cache.set(NODE, ctx.f.base, { commit: 'c1', flavour: 'envoy' });
  const client = connect(ctx);
  subscribeAll(client, ctx.f.base);
  const first = await client.take(4);
  for (const response of first) client.ack(response);
  await client.quiet('after ACKing everything');
  return { client, first };
}

test('a subscribed proxy gets CDS, EDS, LDS, RDS in order, each resource with its own version, the system version the snapshot one', async (ctx) => {
  const { first } = await settled(ctx);
  assert.equal(first.map((r) => shortType(r.type_url)), ['cds', 'eds', 'lds', 'rds']);
  for (const response of first) {
    const type = shortType(response.type_url) as XdsTypeName;
    assert.equal(sent(response), namesOf(ctx.f.base, type), `${type} names`);
    assert.equal(Object.fromEntries(response.resources.map((r) => [r.name, r.version])), versionsOf(ctx.f.base, type), `${type} per-resource versions`);
    assert.is(response.system_version_info, ctx.f.base.versions[type]);
    assert.equal(response.removed_resources, []);
  }
  const status = ctx.server!.service.proxy(NODE);
  assert.is(status?.state, 'Acked');
  assert.is(status?.flavour, 'envoy');
  assert.is(status?.streams[0]?.protocol, 'delta');
  assert.is(status?.streams[0]?.types.cds?.ackedCommit, 'c1');
});

test('a changed listener sends that listener only, and its old name as removed', async (ctx) => {
  const { client } = await settled(ctx);
  const v2 = variant(ctx.f, renameListener('-v2'));
  ctx.cache.set(NODE, v2, { commit: 'c2' });
  const lds = await client.next();
  const [renamed] = namesOf(ctx.f.base, 'lds');
  assert.equal(sent(lds), [`${renamed}-v2`]);
  assert.equal(lds.removed_resources, [renamed]);
  assert.is(lds.system_version_info, v2.versions.lds);
  await client.quiet('beyond the listeners');
});

test('a dropped cluster goes out as removed_resources alone; an equal snapshot sends nothing', async (ctx) => {
  const { client } = await settled(ctx);
  ctx.cache.set(NODE, ctx.f.base, { commit: 'c1-again' });
  await client.quiet('for an equal snapshot');
  const changed = variant(ctx.f, dropCluster);
  ctx.cache.set(NODE, changed, { commit: 'c2' });
  const cds = await client.next();
  assert.equal(sent(cds), []);
  assert.equal(cds.removed_resources, [namesOf(ctx.f.base, 'cds').at(-1)]);
  await client.quiet('beyond the removal');
});

test('make before break: a cluster the old listeners use is removed only after the new listeners are ACKed', async (ctx) => {
  const { client } = await settled(ctx);
  ctx.cache.set(NODE, variant(ctx.f, (xds) => renameListener('-v2')(dropCluster(xds))), { commit: 'c2' });
  const lds = await client.next();
  assert.is(lds.type_url, TYPE_URLS.lds);
  await client.quiet('while the new listeners are not ACKed');
  client.ack(lds);
  const cds = await client.next();
  assert.equal(cds.removed_resources, [namesOf(ctx.f.base, 'cds').at(-1)]);
});

test('a changed cluster is followed by EDS for it, resent unchanged', async (ctx) => {
  const { client } = await settled(ctx);
  const [first] = ctx.f.xds.clusters as { name: string }[];
  const changed = variant(ctx.f, (xds) => ({ ...xds, clusters: xds.clusters.map((c, i) => (i === 0 ? { ...(c as object), per_connection_buffer_limit_bytes: 1024 } : c)) }));
  ctx.cache.set(NODE, changed, { commit: 'c2' });
  const [cds, eds] = await client.take(2);
  assert.equal(sent(cds!), [first!.name]);
  if (namesOf(ctx.f.base, 'eds').includes(first!.name)) {
    assert.is(eds?.type_url, TYPE_URLS.eds);
    assert.equal(sent(eds!), [first!.name]);
    assert.is(eds?.resources[0]?.version, versionsOf(ctx.f.base, 'eds')[first!.name]);
  }
});

test('initial_resource_versions: a reconnect holding the current versions gets nothing; a stale or vanished resource is fixed alone', async (ctx) => {
  const { client } = await settled(ctx);
  client.close();
  const held = (type: XdsTypeName) => versionsOf(ctx.f.base, type);
  const again = connect(ctx);
  subscribeAll(again, ctx.f.base, { cds: held('cds'), eds: held('eds'), lds: held('lds'), rds: held('rds') });
  await again.quiet('for a client that holds everything');
  const stream = ctx.server!.service.proxy(NODE)?.streams.find((s) => s.connected);
  assert.equal(Object.values(stream?.types ?? {}).map((t) => [t.state, t.responses]), [['Acked', 0], ['Acked', 0], ['Acked', 0], ['Acked', 0]]);
  // a client holding an old version of one listener and a listener that is gone
  const [listener] = namesOf(ctx.f.base, 'lds');
  const stale = connect(ctx);
  stale.send({ node, type_url: TYPE_URLS.lds, initial_resource_versions: { ...held('lds'), [listener!]: 'old', gone: 'x' } });
  const lds = await stale.next();
  assert.equal(sent(lds), [listener]);
  assert.equal(lds.removed_resources, ['gone']);
  await stale.quiet('beyond the fix');
});

test('subscription changes apply whatever the nonce; unsubscribe stops pushes; resubscribe sends again', async (ctx) => {
  const { client } = await settled(ctx);
  const routes = namesOf(ctx.f.base, 'rds');
  // unsubscribe with a nonce that is not current
  client.send({ type_url: TYPE_URLS.rds, response_nonce: 'not-a-nonce', resource_names_unsubscribe: [routes[0]!] });
  await client.quiet('after an unsubscribe');
  assert.equal(ctx.server!.service.proxy(NODE)?.streams[0]?.types.rds?.subscribed, routes.slice(1));
  assert.is(ctx.server!.service.proxy(NODE)?.streams[0]?.types.rds?.nacks, 0);
  // a change to the unsubscribed route is not pushed
  const [route] = ctx.f.xds.routes;
  ctx.cache.set(NODE, variant(ctx.f, (xds) => ({ ...xds, routes: xds.routes.map((r) => (r === route ? { ...(r as object), validate_clusters: true } : r)) })), { commit: 'c2' });
  await client.quiet('for an unsubscribed route');
  // resubscribing sends it again, at its current version
  client.send({ type_url: TYPE_URLS.rds, response_nonce: 'stale-too', resource_names_subscribe: [routes[0]!] });
  const rds = await client.next();
  assert.equal(sent(rds), [routes[0]]);
});

test('a subscribed name the snapshot lacks is said absent once, then sent when it appears', async (ctx) => {
  ctx.cache.set(NODE, ctx.f.base, { commit: 'c1' });
  const client = connect(ctx);
  client.send({ node, type_url: TYPE_URLS.rds, resource_names_subscribe: ['outbound:later'] });
  const absent = await client.next();
  assert.equal(sent(absent), []);
  assert.equal(absent.removed_resources, ['outbound:later']);
  client.ack(absent);
  await client.quiet('after saying it is absent');
  assert.equal(ctx.server!.service.proxy(NODE)?.streams[0]?.types.rds?.missing, ['outbound:later']);
  const [route] = ctx.f.xds.routes;
  ctx.cache.set(NODE, variant(ctx.f, (xds) => ({ ...xds, routes: [...xds.routes, { ...(route as object), name: 'outbound:later' }] })), { commit: 'c2' });
  assert.equal(sent(await client.next()), ['outbound:later']);
});

test('a NACK is counted once per nonce, its versions are never resent, new content is pushed', async (ctx) => {
  const { client } = await settled(ctx);
  const v2 = variant(ctx.f, renameListener('-v2'));
  ctx.cache.set(NODE, v2, { commit: 'c2' });
  const lds2 = await client.next();
  const nack = { type_url: TYPE_URLS.lds, response_nonce: lds2.nonce, error_detail: { code: 3, message: 'listener rejected' } };
  client.send(nack);
  client.send(nack);
  await client.quiet('after a NACK');
  const lds = ctx.server!.service.proxy(NODE)?.streams[0]?.types.lds;
  assert.equal([lds?.state, lds?.nacks, lds?.error, lds?.nackedVersion, lds?.ackedVersion], ['Nacked', 1, 'listener rejected', v2.versions.lds, ctx.f.base.versions.lds]);
  // the same content again (another commit) is not resent
  ctx.cache.set(NODE, variant(ctx.f, renameListener('-v2')), { commit: 'c3' });
  await client.quiet('for NACKed content');
  // new content is
  const v3 = variant(ctx.f, renameListener('-v3'));
  ctx.cache.set(NODE, v3, { commit: 'c4' });
  const lds3 = await client.next();
  assert.equal(sent(lds3), [`${namesOf(ctx.f.base, 'lds')[0]}-v3`]);
  client.ack(lds3);
  await client.quiet('after the ACK');
  assert.is(ctx.server!.service.proxy(NODE)?.streams[0]?.types.lds?.state, 'Acked');
});

test('wildcard: "*" unsubscribed leaves only named resources; a named subscription is not a wildcard', async (ctx) => {
  ctx.cache.set(NODE, ctx.f.base, { commit: 'c1' });
  const clusters = namesOf(ctx.f.base, 'cds');
  const named = connect(ctx);
  named.send({ node, type_url: TYPE_URLS.cds, resource_names_subscribe: [clusters[0]!] });
  assert.equal(sent(await named.next()), [clusters[0]]);
  const wild = connect(ctx);
  wild.send({ node, type_url: TYPE_URLS.cds, resource_names_subscribe: ['*'] });
  const all = await wild.next();
  assert.equal(sent(all), clusters);
  wild.ack(all);
  wild.send({ type_url: TYPE_URLS.cds, resource_names_unsubscribe: ['*'], resource_names_subscribe: [clusters[1]!] });
  await wild.quiet('after leaving the wildcard');
  ctx.cache.set(NODE, variant(ctx.f, dropCluster), { commit: 'c2' });
  await named.quiet('for a cluster it did not name');
  await wild.quiet('for a cluster it no longer holds');
});

test.run();
