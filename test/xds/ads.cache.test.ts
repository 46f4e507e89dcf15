// The snapshot cache: per-node records, change-only notifications, shared bytes, and the SotW codec round trip.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeDiscoveryRequest, decodeDiscoveryResponse, encodeDiscoveryRequest, encodeDiscoveryResponse } from '../../src/xds/ads/codec.js';
import { SnapshotCache, type SnapshotRecord } from '../../src/xds/cache.js';
import { EncodeCache, makeSnapshot } from '../../src/xds/snapshot.js';
import { TYPE_URLS } from '../../src/xds/type-urls.js';
import { compileAll, exampleFiles, validResources } from '../compile/example-repo-compile.js';

const proxies = compileAll(validResources(await exampleFiles()));
const api1 = proxies.find((p) => p.id === 'default.api-1')!;
const api2 = proxies.find((p) => p.id === 'default.api-2')!;

test('set notifies watchers only when content changes, and keeps the latest commit', () => {
  // given a cache with a watcher on one node
  const cache = new SnapshotCache();
  const seen: SnapshotRecord[] = [];
  const stop = cache.watch('default.api-1', (record) => seen.push(record));
  const snapshot = makeSnapshot(api1.compiled.xds, new EncodeCache());
  // when the same content is set twice, from two commits
  assert.ok(cache.set('default.api-1', snapshot, { commit: 'c1' }));
  assert.not.ok(cache.set('default.api-1', makeSnapshot(api1.compiled.xds, new EncodeCache()), { commit: 'c2' }));
  // then the watcher heard once, and the record carries the latest commit
  assert.is(seen.length, 1);
  assert.is(cache.get('default.api-1')?.commit, 'c2');
  // and after unsubscribing it hears nothing
  stop();
  assert.is(cache.watcherCount('default.api-1'), 0);
  cache.set('default.api-1', makeSnapshot({ ...api1.compiled.xds, clusters: [] }, new EncodeCache()), { commit: 'c3' });
  assert.is(seen.length, 1);
  assert.equal(cache.nodeIds(), ['default.api-1']);
  assert.is(cache.get('default.other'), undefined);
});

test('two nodes with equal resources share the same EncodedResource bytes in the cache', () => {
  const encode = new EncodeCache();
  const cache = new SnapshotCache();
  cache.set(api1.id, makeSnapshot(api1.compiled.xds, encode), { commit: 'c1' });
  cache.set(api2.id, makeSnapshot(api2.compiled.xds, encode), { commit: 'c1' });
  const a = cache.get(api1.id)!.snapshot.resources.eds;
  const b = cache.get(api2.id)!.snapshot.resources.eds;
  assert.ok(a.length > 0);
  a.forEach((resource, i) => assert.ok(resource.bytes === b[i]?.bytes, `${resource.name} shares its bytes`));
  assert.ok(Object.isFrozen(cache.get(api1.id)));
});

test('a DiscoveryResponse carries the cached bytes unchanged as Any values, and a request keeps node and error_detail', () => {
  const snapshot = makeSnapshot(api1.compiled.xds, new EncodeCache());
  const resources = snapshot.resources.cds.map((r) => ({ type_url: TYPE_URLS.cds, value: r.bytes }));
  const decoded = decodeDiscoveryResponse(encodeDiscoveryResponse({ version_info: snapshot.versions.cds, resources, type_url: TYPE_URLS.cds, nonce: '1' }));
  assert.is(decoded.version_info, snapshot.versions.cds);
  assert.equal(decoded.resources.map((r) => Buffer.from(r.value).toString('hex')), snapshot.resources.cds.map((r) => Buffer.from(r.bytes).toString('hex')));
  const request = decodeDiscoveryRequest(
    encodeDiscoveryRequest({ type_url: TYPE_URLS.lds, node: { id: 'default.api-1', user_agent_name: 'grpc-node-js', metadata: { 'gitmesh.io/proxyless': true, n: 2 } }, response_nonce: '7', error_detail: { code: 3, message: 'bad' } }),
  );
  assert.is(request.node?.id, 'default.api-1');
  assert.equal(request.node?.metadata, { 'gitmesh.io/proxyless': true, n: 2 });
  assert.equal(request.error_detail, { code: 3, message: 'bad' });
  assert.equal(request.resource_names, []);
  assert.is(decodeDiscoveryRequest(encodeDiscoveryRequest({ type_url: TYPE_URLS.lds })).error_detail, undefined);
});

test.run();
