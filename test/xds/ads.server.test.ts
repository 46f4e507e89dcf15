// The ADS server under pressure: per-stream limits, and a slow client that must not stall the others.
import * as grpc from '@grpc/grpc-js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SOTW_ADS_METHOD, type DiscoveryRequestInput, type DiscoveryResponse } from '../../src/xds/ads/codec.js';
import { startAdsServer, type AdsServer } from '../../src/xds/ads/server.js';
import { SnapshotCache } from '../../src/xds/cache.js';
import { EncodeCache, makeSnapshot } from '../../src/xds/snapshot.js';
import { TYPE_URLS } from '../../src/xds/type-urls.js';
import { AdsStream, dropCluster, loadFixtures, node, NODE, shortType, variant } from './ads-harness.js';

const describe = (r: DiscoveryResponse) => `${shortType(r.type_url)} v${r.version_info}`;
const open = (server: AdsServer) => new AdsStream<DiscoveryRequestInput, DiscoveryResponse>(server.address, SOTW_ADS_METHOD, describe);

/** Waits for the stream to fail; returns its status code. */
async function failure(stream: AdsStream<DiscoveryRequestInput, DiscoveryResponse>): Promise<number | undefined> {
  for (let i = 0; i < 100 && !stream.error; i++) await new Promise((r) => setTimeout(r, 20));
  return (stream.error as grpc.ServiceError | undefined)?.code;
}

test('a stream over the request rate ends with RESOURCE_EXHAUSTED; another stream keeps being served', async () => {
  const f = await loadFixtures();
  const cache = new SnapshotCache();
  cache.set(NODE, f.base, { commit: 'c1' });
  const server = await startAdsServer({ source: cache, limits: { requestsPerSecond: 5, requestBurst: 10 } });
  const noisy = open(server);
  const calm = open(server);
  try {
    calm.send({ node, type_url: TYPE_URLS.cds });
    const first = await calm.next();
    calm.send({ type_url: TYPE_URLS.cds, version_info: first.version_info, response_nonce: first.nonce });
    noisy.send({ node: { id: 'default.noisy' }, type_url: TYPE_URLS.cds });
    for (let i = 0; i < 30; i++) noisy.send({ type_url: TYPE_URLS.cds, response_nonce: 'spam' });
    assert.is(await failure(noisy), grpc.status.RESOURCE_EXHAUSTED);
    cache.set(NODE, variant(f, dropCluster), { commit: 'c2' });
    assert.is((await calm.next()).type_url, TYPE_URLS.cds, 'the calm stream still gets pushes');
  } finally {
    noisy.close();
    calm.close();
    await server.close();
  }
});

test('a request over the size limit ends that stream only', async () => {
  const f = await loadFixtures();
  const cache = new SnapshotCache();
  cache.set(NODE, f.base, { commit: 'c1' });
  const server = await startAdsServer({ source: cache, limits: { maxRequestBytes: 16 * 1024 } });
  const huge = open(server);
  const fine = open(server);
  try {
    huge.send({ node, type_url: TYPE_URLS.eds, resource_names: Array.from({ length: 2000 }, (_, i) => `cluster-${i}`) });
    assert.is(await failure(huge), grpc.status.RESOURCE_EXHAUSTED);
    fine.send({ node, type_url: TYPE_URLS.lds });
    assert.is((await fine.next()).type_url, TYPE_URLS.lds);
  } finally {
    huge.close();
    fine.close();
    await server.close();
  }
});

test('a client that stops reading holds a push slot only until the push timeout; the others are pushed', async () => {
  const f = await loadFixtures();
  const encode = new EncodeCache();
  // About 400 KB of clusters per version: a client that does not read stops taking them once grpc-js buffered 16 messages and the HTTP/2 window is full.
  const [cluster] = f.xds.clusters as { name: string }[];
  const big = (tag: string) =>
    makeSnapshot({ ...f.xds, clusters: [...f.xds.clusters, ...Array.from({ length: 100 }, (_, i) => ({ ...cluster, name: `padding-${tag}-${i}`, alt_stat_name: 'x'.repeat(4000) }))] }, encode);
  const cache = new SnapshotCache();
  cache.set('default.slow', big('a'), { commit: 'c1' });
  cache.set(NODE, f.base, { commit: 'c1' });
  const server = await startAdsServer({ source: cache, fanout: { concurrency: 1, debounceMs: 0, pushTimeoutMs: 300 } });
  const slowClient = new grpc.Client(server.address, grpc.credentials.createInsecure());
  const slow = slowClient.makeBidiStreamRequest(SOTW_ADS_METHOD.path, SOTW_ADS_METHOD.requestSerialize, SOTW_ADS_METHOD.responseDeserialize);
  const fast = open(server);
  try {
    slow.on('error', () => undefined); // cancelled at the end
    slow.on('data', () => slow.pause()); // reads one response, then stops
    slow.write({ node: { id: 'default.slow' }, type_url: TYPE_URLS.cds });
    fast.send({ node, type_url: TYPE_URLS.cds });
    const first = await fast.next();
    fast.send({ type_url: TYPE_URLS.cds, version_info: first.version_info, response_nonce: first.nonce });
    // the slow client's buffers fill
    for (let version = 0; server.service.fanoutStats().timedOut === 0; version++) {
      assert.ok(version < 60, `writes to a client that does not read never stalled: ${JSON.stringify(server.service.fanoutStats())} ${JSON.stringify(server.service.proxy('default.slow')?.streams.map((s) => [s.connected, s.types.cds?.responses]))}`);
      cache.set('default.slow', big(`v${version}`), { commit: `c${version}` });
      await new Promise((r) => setTimeout(r, 40));
    }
    // when both change in one publish, the slow one first (it holds the only slot until the timeout)
    cache.set('default.slow', big('last'), { commit: 'last' });
    cache.set(NODE, variant(f, dropCluster), { commit: 'last' });
    const started = Date.now();
    assert.is((await fast.next()).type_url, TYPE_URLS.cds);
    const waited = Date.now() - started;
    assert.ok(waited < 1500, `the fast client waited ${waited} ms`);
  } finally {
    slow.cancel();
    slowClient.close();
    fast.close();
    await server.close();
  }
});

test.run();
