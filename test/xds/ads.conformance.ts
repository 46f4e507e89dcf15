// ADS behaviour written once, run against each server flavour (STYLE.md §14): real grpc-js streams on 127.0.0.1.
//
// Each test starts its own server over its own SnapshotCache (fixtures in ads-harness.ts).
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { SnapshotCache, type SnapshotSource } from '../../src/xds/cache.js';
import { SOTW_ADS_METHOD, type DiscoveryRequestInput, type DiscoveryResponse } from '../../src/xds/ads/codec.js';
import type { ProxyStatus } from '../../src/xds/ads/server.js';
import { EncodeCache, makeSnapshot, type Snapshot } from '../../src/xds/snapshot.js';
import { TYPE_URLS, type XdsTypeName } from '../../src/xds/type-urls.js';
import { AdsStream, decodedName, dropCluster, loadFixtures, namesOf, node, NODE, renameListener, shortType, variant, type Fixtures } from './ads-harness.js';

/** A server under test, started over `source`. */
export interface AdsUnderTest {
  /** `host:port` to dial. */
  readonly address: string;
  /** The live state of a node id (read model). */
  proxy(nodeId: string): ProxyStatus | undefined;
  close(): Promise<void>;
}

/** How a flavour starts its server. */
export interface AdsConformanceOptions {
  readonly name?: string;
  readonly start: (source: SnapshotSource) => Promise<AdsUnderTest>;
}

/** A raw SotW stream. */
class AdsClient extends AdsStream<DiscoveryRequestInput, DiscoveryResponse> {
  constructor(address: string) {
    super(address, SOTW_ADS_METHOD, (r) => `${shortType(r.type_url)} v${r.version_info}`);
  }

  /** ACKs `response` (no names change). */
  ack(response: DiscoveryResponse, names: readonly string[] = []): void {
    this.send({ type_url: response.type_url, version_info: response.version_info, response_nonce: response.nonce, resource_names: names });
  }
}

/** The resource names in a response (decoded from the bytes). */
function names(response: DiscoveryResponse): string[] {
  return response.resources.map((any) => {
    assert.is(any.type_url, response.type_url, 'every Any carries the response type_url');
    return decodedName(any.type_url, any.value);
  });
}

/** Subscribes to the four types as Envoy would: wildcard LDS/CDS, named EDS/RDS. */
function subscribeAll(client: AdsClient, snapshot: Snapshot): void {
  client.send({ node, type_url: TYPE_URLS.cds, resource_names: [] });
  client.send({ type_url: TYPE_URLS.eds, resource_names: namesOf(snapshot, 'eds') });
  client.send({ type_url: TYPE_URLS.lds, resource_names: [] });
  client.send({ type_url: TYPE_URLS.rds, resource_names: namesOf(snapshot, 'rds') });
}

/**
 * Registers and runs the ADS conformance suite against the server `start` makes. Each test
 * gets a fresh SnapshotCache and server, closed afterwards.
 */
export function runAdsConformance(options: AdsConformanceOptions): void {
  const test = suite<{ cache: SnapshotCache; server?: AdsUnderTest; clients: AdsClient[]; f: Fixtures }>(`ads conformance${options.name ? ` (${options.name})` : ''}`, {
    cache: new SnapshotCache(),
    clients: [],
    f: undefined as unknown as Fixtures,
  });

  test.before.each(async (ctx) => {
    ctx.f = await loadFixtures();
    ctx.cache = new SnapshotCache();
    ctx.server = await options.start(ctx.cache);
    ctx.clients = [];
  });
  test.after.each(async (ctx) => {
    for (const client of ctx.clients) client.close();
    await ctx.server?.close();
  });

  const connect = (ctx: { server?: AdsUnderTest; clients: AdsClient[] }): AdsClient => {
    const client = new AdsClient(ctx.server!.address);
    ctx.clients.push(client);
    return client;
  };

  /** Subscribes to all four types, receives and ACKs the four responses. */
  const settled = async (ctx: { server?: AdsUnderTest; clients: AdsClient[]; cache: SnapshotCache; f: Fixtures }): Promise<{ client: AdsClient; first: DiscoveryResponse[] }> => {
    ctx.cache.set(NODE, ctx.f.base, { commit: 'c1' });
    const client = connect(ctx);
    subscribeAll(client, ctx.f.base);
    const first = await client.take(4);
    for (const response of first) client.ack(response, response.type_url === TYPE_URLS.eds ? namesOf(ctx.f.base, 'eds') : response.type_url === TYPE_URLS.rds ? namesOf(ctx.f.base, 'rds') : []);
    await client.quiet('after ACKing everything');
    return { client, first };
  };

  test('a subscribed proxy gets CDS, then EDS, then LDS, then RDS, each with the snapshot version and every resource', async (ctx) => {
    // given a stream subscribed to the four types before its snapshot exists
    const client = connect(ctx);
    subscribeAll(client, ctx.f.base);
    await client.quiet('before the node has a snapshot');
    // when the snapshot is set
    ctx.cache.set(NODE, ctx.f.base, { commit: 'c1' });
    // then the four types come in push order, versions equal to the snapshot's
    const responses = await client.take(4);
    assert.equal(responses.map((r) => shortType(r.type_url)), ['cds', 'eds', 'lds', 'rds']);
    for (const response of responses) {
      const type = shortType(response.type_url) as XdsTypeName;
      assert.is(response.version_info, ctx.f.base.versions[type], `${type} version`);
      assert.equal(names(response), namesOf(ctx.f.base, type), `${type} names`);
    }
    assert.is(new Set(responses.map((r) => r.nonce)).size, 4, 'a fresh nonce per response');
  });

  test('an ACKed version is not sent again, and the proxy reads Acked with the commit, synced until a new snapshot', async (ctx) => {
    const { first } = await settled(ctx);
    const status = ctx.server!.proxy(NODE);
    assert.ok(status?.connected);
    assert.is(status.state, 'Acked');
    assert.is(status.synced, true);
    ctx.cache.set(NODE, variant(ctx.f, renameListener('-v2')), { commit: 'c2' });
    assert.is(ctx.server!.proxy(NODE)?.synced, false, 'a new snapshot not yet ACKed');
    const cds = status.streams[0]?.types.cds;
    assert.is(cds?.ackedVersion, first[0]?.version_info);
    assert.is(cds?.ackedCommit, 'c1');
  });

  test('an unchanged snapshot (equal content, new object, other commit) pushes nothing', async (ctx) => {
    const { client } = await settled(ctx);
    ctx.cache.set(NODE, makeSnapshot(ctx.f.xds, new EncodeCache()), { commit: 'c2' });
    await client.quiet('for an equal snapshot');
  });

  test('after a CDS change, CDS then EDS are sent (EDS resent unchanged), and nothing else', async (ctx) => {
    const { client, first } = await settled(ctx);
    const changed = variant(ctx.f, dropCluster);
    ctx.cache.set(NODE, changed, { commit: 'c2' });
    const [cds, eds] = await client.take(2);
    assert.is(cds?.type_url, TYPE_URLS.cds);
    assert.is(cds?.version_info, changed.versions.cds);
    assert.is(eds?.type_url, TYPE_URLS.eds);
    assert.is(eds?.version_info, first[1]?.version_info, 'same EDS content, same version');
    assert.is.not(eds?.nonce, first[1]?.nonce);
    await client.quiet('beyond CDS and EDS');
  });

  test('make before break: a cluster the old listeners use is removed only after the new listeners are ACKed', async (ctx) => {
    const { client } = await settled(ctx);
    // given a change that drops a cluster and changes the listeners
    const changed = variant(ctx.f, (xds) => renameListener('-v2')(dropCluster(xds)));
    ctx.cache.set(NODE, changed, { commit: 'c2' });
    // then the listeners come first, and the clusters stay as they were (nothing to add, one to keep)
    const lds = await client.next();
    assert.is(lds.type_url, TYPE_URLS.lds);
    await client.quiet('while the new listeners are not ACKed');
    // when the client ACKs them, the cluster goes, and EDS follows CDS
    client.ack(lds, []);
    const [cds, eds] = await client.take(2);
    assert.is(cds?.type_url, TYPE_URLS.cds);
    assert.is(cds?.version_info, changed.versions.cds);
    assert.equal(names(cds!), namesOf(changed, 'cds'));
    assert.is(eds?.type_url, TYPE_URLS.eds);
  });

  test('a NACK (error_detail) is counted once per nonce, its version is never resent, and new content is pushed', async (ctx) => {
    const { client } = await settled(ctx);
    // given LDS v2 pushed and NACKed
    const v2 = variant(ctx.f, renameListener('-v2'));
    ctx.cache.set(NODE, v2, { commit: 'c2' });
    const lds2 = await client.next();
    assert.is(lds2.version_info, v2.versions.lds);
    const nack = { type_url: TYPE_URLS.lds, version_info: ctx.f.base.versions.lds, response_nonce: lds2.nonce, resource_names: [], error_detail: { code: 3, message: 'listener rejected' } };
    client.send(nack);
    client.send(nack); // a gRPC client repeats its NACK
    await client.quiet('after a NACK');
    const lds = ctx.server!.proxy(NODE)?.streams[0]?.types.lds;
    assert.is(lds?.state, 'Nacked');
    assert.is(lds?.nacks, 1);
    assert.is(lds?.error, 'listener rejected');
    assert.is(lds?.nackedVersion, v2.versions.lds);
    assert.is(lds?.ackedVersion, ctx.f.base.versions.lds);
    // when a new version appears, it is pushed
    const v3 = variant(ctx.f, renameListener('-v3'));
    ctx.cache.set(NODE, v3, { commit: 'c3' });
    const lds3 = await client.next();
    assert.is(lds3.version_info, v3.versions.lds);
    // and when the NACKed content comes back, it is not resent
    client.send({ ...nack, response_nonce: lds3.nonce, error_detail: { code: 3, message: 'also rejected' } });
    ctx.cache.set(NODE, v2, { commit: 'c4' });
    await client.quiet('for a version the client NACKed before');
    assert.is(ctx.server!.proxy(NODE)?.streams[0]?.types.lds?.nacks, 2);
  });

  test('a request with a stale nonce is ignored: no NACK counted, no subscription change', async (ctx) => {
    const { client, first } = await settled(ctx);
    const rds = first[3]!;
    const [route] = namesOf(ctx.f.base, 'rds');
    // given RDS narrowed to one route (a valid request)
    client.send({ type_url: TYPE_URLS.rds, version_info: rds.version_info, response_nonce: rds.nonce, resource_names: [route!] });
    const narrowed = await client.next();
    assert.equal(names(narrowed), [route]);
    client.ack(narrowed, [route!]);
    // when a request with an old nonce widens it and carries an error
    client.send({ type_url: TYPE_URLS.rds, version_info: '', response_nonce: rds.nonce, resource_names: namesOf(ctx.f.base, 'rds'), error_detail: { code: 2, message: 'stale' } });
    client.send({ type_url: TYPE_URLS.rds, version_info: '', response_nonce: 'no-such-nonce', resource_names: namesOf(ctx.f.base, 'rds') });
    // then nothing happens
    await client.quiet('for stale requests');
    const status = ctx.server!.proxy(NODE)?.streams[0]?.types.rds;
    assert.is(status?.nacks, 0);
    assert.equal(status?.subscribed, [route]);
    // and the same change with the current nonce is served
    client.send({ type_url: TYPE_URLS.rds, version_info: narrowed.version_info, response_nonce: narrowed.nonce, resource_names: namesOf(ctx.f.base, 'rds') });
    assert.equal(names(await client.next()), namesOf(ctx.f.base, 'rds'));
  });

  test('wildcard: empty names is a wildcard only before naming; afterwards it unsubscribes; "*" is explicit', async (ctx) => {
    ctx.cache.set(NODE, ctx.f.base, { commit: 'c1' });
    const clusters = namesOf(ctx.f.base, 'cds');
    // a fresh stream with empty names gets every cluster
    const legacy = connect(ctx);
    legacy.send({ node, type_url: TYPE_URLS.cds, resource_names: [] });
    assert.equal(names(await legacy.next()), clusters);
    // a stream naming one cluster gets that one only
    const named = connect(ctx);
    named.send({ node, type_url: TYPE_URLS.cds, resource_names: [clusters[0]!] });
    const one = await named.next();
    assert.equal(names(one), [clusters[0]]);
    // then empty names unsubscribes: no push, even when CDS changes
    named.send({ type_url: TYPE_URLS.cds, version_info: one.version_info, response_nonce: one.nonce, resource_names: [] });
    await named.quiet('after unsubscribing all');
    assert.equal(ctx.server!.proxy(NODE)?.streams.find((s) => s.types.cds?.subscribed !== '*')?.types.cds?.subscribed, []);
    ctx.cache.set(NODE, variant(ctx.f, dropCluster), { commit: 'c2' });
    await named.quiet('for an unsubscribed type');
    assert.equal(names(await legacy.next()), clusters.slice(0, -1), 'the wildcard stream gets the change');
    // subscribing the same name again sends it again
    named.send({ type_url: TYPE_URLS.cds, version_info: one.version_info, response_nonce: one.nonce, resource_names: [clusters[0]!] });
    const again = await named.next();
    assert.equal(names(again), [clusters[0]]);
    // "*" is a wildcard even after naming
    named.send({ type_url: TYPE_URLS.cds, version_info: again.version_info, response_nonce: again.nonce, resource_names: ['*'] });
    assert.equal(names(await named.next()), clusters.slice(0, -1));
  });

  test('a name requested before it exists is pushed when it appears', async (ctx) => {
    ctx.cache.set(NODE, ctx.f.base, { commit: 'c1' });
    const client = connect(ctx);
    client.send({ node, type_url: TYPE_URLS.rds, resource_names: ['outbound:later'] });
    await client.quiet('for a missing route');
    assert.equal(ctx.server!.proxy(NODE)?.streams[0]?.types.rds?.missing, ['outbound:later']);
    const [route] = ctx.f.xds.routes;
    const withLater = variant(ctx.f, (xds) => ({ ...xds, routes: [...xds.routes, { ...(route as object), name: 'outbound:later' }] }));
    ctx.cache.set(NODE, withLater, { commit: 'c2' });
    const response = await client.next();
    assert.equal(names(response), ['outbound:later']);
  });

  test('an unknown node id gets nothing, stays open, and is served once its snapshot is set', async (ctx) => {
    const client = connect(ctx);
    const other = { id: 'default.not-yet', locality: {} };
    client.send({ node: other, type_url: TYPE_URLS.cds, resource_names: [] });
    client.send({ type_url: TYPE_URLS.lds, resource_names: [] });
    await client.quiet('for a node with no snapshot');
    const status = ctx.server!.proxy(other.id);
    assert.ok(status?.connected);
    assert.is(status.streams[0]?.hasSnapshot, false);
    ctx.cache.set(other.id, ctx.f.base, { commit: 'c1' });
    const responses = await client.take(2);
    assert.equal(responses.map((r) => shortType(r.type_url)), ['cds', 'lds']);
  });

  test('a client that reconnects holding the current versions gets no push; one holding older versions gets the new ones', async (ctx) => {
    const { client, first } = await settled(ctx);
    client.close();
    // given a new stream whose first requests carry the versions the client holds
    const again = connect(ctx);
    const held = (type: XdsTypeName, names: string[]) => ({ type_url: TYPE_URLS[type], version_info: ctx.f.base.versions[type], resource_names: names });
    again.send({ node, ...held('cds', []) });
    again.send(held('eds', namesOf(ctx.f.base, 'eds')));
    again.send(held('lds', []));
    again.send(held('rds', namesOf(ctx.f.base, 'rds')));
    // then nothing is sent again, and the stream reads Acked
    await again.quiet('for a client that holds the current versions');
    assert.is(first.length, 4);
    const reconnected = ctx.server!.proxy(NODE)?.streams.find((s) => s.connected);
    assert.equal(Object.values(reconnected?.types ?? {}).map((t) => [t.state, t.responses]), [['Acked', 0], ['Acked', 0], ['Acked', 0], ['Acked', 0]]);
    // and when it holds an older listener version, only that type is sent
    const stale = connect(ctx);
    stale.send({ node, ...held('cds', []) });
    stale.send({ type_url: TYPE_URLS.lds, version_info: 'an-older-version', resource_names: [] });
    const lds = await stale.next();
    assert.is(lds.type_url, TYPE_URLS.lds);
    await stale.quiet('beyond the listeners');
  });

  test('a client that reconnects to a newer snapshot keeps the clusters it names until its new routes are ACKed', async (ctx) => {
    // given a snapshot whose routes changed and that dropped a cluster the client (named subscriptions, as gRPC) still names
    const v2 = variant(ctx.f, (xds) => ({ ...dropCluster(xds), routes: xds.routes.map((r, i) => (i === 0 ? { ...(r as object), validate_clusters: true } : r)) }));
    ctx.cache.set(NODE, v2, { commit: 'c2' });
    const clusters = namesOf(ctx.f.base, 'cds');
    const routes = namesOf(ctx.f.base, 'rds');
    const client = connect(ctx);
    const held = (type: XdsTypeName, names: string[]) => ({ type_url: TYPE_URLS[type], version_info: ctx.f.base.versions[type], resource_names: names });
    // (in the order gRPC clients resubscribe: listeners, routes, clusters)
    client.send({ node, ...held('lds', namesOf(ctx.f.base, 'lds')) });
    client.send(held('rds', routes));
    client.send(held('cds', clusters));
    // then the new routes come, and no CDS that would delete a cluster the old routes use
    const rds = await client.next();
    assert.is(rds.type_url, TYPE_URLS.rds);
    await client.quiet('while the new routes are not ACKed');
    // when the routes are ACKed, the clusters follow, without the dropped one
    client.ack(rds, routes);
    const cds = await client.next();
    assert.is(cds.type_url, TYPE_URLS.cds);
    assert.equal(names(cds), clusters.slice(0, -1));
  });

  test('two streams with one node id each get every push', async (ctx) => {
    const a = connect(ctx);
    const b = connect(ctx);
    for (const client of [a, b]) client.send({ node, type_url: TYPE_URLS.lds, resource_names: [] });
    await a.quiet('before the snapshot');
    ctx.cache.set(NODE, ctx.f.base, { commit: 'c1' });
    const [ra, rb] = [await a.next(), await b.next()];
    assert.is(ra.version_info, ctx.f.base.versions.lds);
    assert.is(rb.version_info, ctx.f.base.versions.lds);
    a.ack(ra);
    b.ack(rb);
    const v2 = variant(ctx.f, renameListener('-v2'));
    ctx.cache.set(NODE, v2, { commit: 'c2' });
    assert.is((await a.next()).version_info, v2.versions.lds);
    assert.is((await b.next()).version_info, v2.versions.lds);
    assert.is(ctx.server!.proxy(NODE)?.streams.length, 2);
  });

  test.run();
}
