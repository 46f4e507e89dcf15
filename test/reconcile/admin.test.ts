// The admin HTTP API over real HTTP: health, readiness, metrics, status/proxies/snapshot JSON, method and path errors, and handler failures.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ProxyXds } from '../../src/compile/translate.js';
import { adminModel, proxiesJson, snapshotJsonOf, startAdminServer, type AdminModel, type ProxyJson, type SnapshotJson } from '../../src/reconcile/admin.js';
import type { StatusJson } from '../../src/reconcile/reconciler.js';
import { Metrics } from '../../src/reconcile/metrics.js';
import type { ProxyStatus } from '../../src/xds/ads/server.js';
import type { StreamStatus, TypeStatus } from '../../src/xds/ads/session.js';
import { SnapshotCache } from '../../src/xds/cache.js';
import { EncodeCache, makeSnapshot } from '../../src/xds/snapshot.js';

const C1 = '1111111111111111111111111111111111111111';
const C2 = '2222222222222222222222222222222222222222';
const TYPE_KEYS = ['secrets', 'clusters', 'endpoints', 'listeners', 'routes'];

const XDS: ProxyXds = {
  listeners: [],
  routes: [],
  secrets: [],
  clusters: [{ name: 'backend', type: 'EDS', connect_timeout: '5s', eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' } } }],
  endpoints: [{ cluster_name: 'backend', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '10.0.0.1', port_value: 8080 } } } }] }] }],
};

function typeStatus(fields: Partial<TypeStatus>): TypeStatus {
  return { subscribed: '*', missing: [], state: 'Acked', nacks: 0, responses: 1, ...fields };
}

function stream(fields: Partial<StreamStatus> & Pick<StreamStatus, 'streamId' | 'types'>): StreamStatus {
  return { protocol: 'sotw', nodeId: 'default.web', connected: true, connectedAt: '2025-01-01T00:00:00.000Z', hasSnapshot: true, synced: false, ...fields };
}

/** web: ACKed C1 for clusters, then got C2's endpoints and NACKed them; api: never connected; old: disconnected. */
const STATUSES: ProxyStatus[] = [
  {
    nodeId: 'default.web',
    connected: true,
    state: 'Nacked',
    flavour: 'envoy',
    synced: false,
    streams: [
      // an older stream, still open, with stale clusters
      stream({ streamId: 1, flavour: 'envoy', connectedAt: '2025-01-01T00:00:00.000Z', types: { cds: typeStatus({ sentVersion: 'old', ackedVersion: 'old', sentCommit: C1, ackedCommit: C1 }) } }),
      stream({
        streamId: 2,
        flavour: 'envoy',
        connectedAt: '2025-01-01T00:05:00.000Z',
        types: {
          cds: typeStatus({ sentVersion: 'c-1', ackedVersion: 'c-1', sentCommit: C1, ackedCommit: C1 }),
          eds: typeStatus({ state: 'Nacked', sentVersion: 'e-2', ackedVersion: 'e-1', nackedVersion: 'e-2', error: 'bad endpoint', sentCommit: C2, ackedCommit: C1, nacks: 1 }),
        },
      }),
    ],
  },
  {
    nodeId: 'default.old',
    connected: false,
    state: 'Disconnected',
    synced: false,
    streams: [stream({ streamId: 3, nodeId: 'default.old', connected: false, types: { lds: typeStatus({ sentVersion: 'l-1', sentCommit: C1, state: 'Pending' }) } })],
  },
];

test('proxiesJson: one entry per node, all five types, the newest open stream per type, and the commit ACKed', () => {
  // given the read model above and a cache that knows default.api too
  const json = proxiesJson(STATUSES, { currentCommit: () => C2, known: new Map([['default.api', 'grpc'], ['default.web', 'envoy']]) });
  // then the entries are sorted by id, each with every type key
  assert.equal(json.map((p) => p.id), ['default.api', 'default.old', 'default.web']);
  for (const proxy of json) assert.equal(Object.keys(proxy.versions), TYPE_KEYS);
  const web = json.find((p) => p.id === 'default.web')!;
  assert.equal(web, {
    id: 'default.web',
    flavour: 'envoy',
    connected: true,
    versions: {
      secrets: { sent: null, acked: null, nacked: null, error: null, responses: 0 },
      clusters: { sent: 'c-1', acked: 'c-1', nacked: null, error: null, responses: 1 },
      endpoints: { sent: 'e-2', acked: 'e-1', nacked: 'e-2', error: 'bad endpoint', responses: 1 },
      listeners: { sent: null, acked: null, nacked: null, error: null, responses: 0 },
      routes: { sent: null, acked: null, nacked: null, error: null, responses: 0 },
    },
    commit: C1,
  } satisfies ProxyJson);
  // a proxy that never connected shows, not connected; a closed one keeps what it was sent
  assert.equal(json[0], { id: 'default.api', flavour: 'grpc', connected: false, versions: json[0]!.versions, commit: null });
  const old = json[1]!;
  assert.is(old.connected, false);
  assert.is(old.flavour, null);
  assert.equal(old.versions.listeners, { sent: 'l-1', acked: null, nacked: null, error: null, responses: 1 });
  assert.is(old.commit, C1, 'before any ACK, the commit sent');
});

test('proxiesJson names the live commit once the proxy ACKed any type of it', () => {
  const status: ProxyStatus = {
    nodeId: 'default.web',
    connected: true,
    state: 'Acked',
    synced: true,
    streams: [stream({ streamId: 1, types: { cds: typeStatus({ ackedCommit: C1, sentCommit: C1 }), eds: typeStatus({ ackedCommit: C2, sentCommit: C2 }) } })],
  };
  assert.is(proxiesJson([status], { currentCommit: () => C2 })[0]!.commit, C2);
  assert.is(proxiesJson([status])[0]!.commit, C1, 'without the live commit: the first type in push order');
});

/** A running admin server over a real cache, metrics and a fake reconciler and ADS read model. */
async function fixture(options: { ready?: boolean; secret?: string } = {}) {
  const cache = new SnapshotCache();
  const snapshot = makeSnapshot(XDS, new EncodeCache());
  cache.set('default.web', snapshot, { commit: C1, flavour: 'envoy' });
  cache.set('default.api', snapshot, { commit: C1, flavour: 'grpc' });
  let ready = options.ready ?? true;
  const status: StatusJson = {
    state: 'serving',
    live: { commit: C1, appliedAt: '2025-01-01T00:00:00.000Z' },
    lastSeen: { commit: C2, at: '2025-01-01T00:10:00.000Z' },
    rejected: { commit: C2, at: '2025-01-01T00:10:01.000Z', diagnostics: [{ code: 'GM202', severity: 'error', message: 'unknown field', file: 'timeouts.yaml', line: 3, column: 5 }] },
    lastError: null,
    rolledBack: null,
  };
  const metrics = new Metrics({ connectedProxies: () => STATUSES.filter((s) => s.connected).length });
  const model = adminModel({ reconciler: { ready: () => ready, status: () => status }, ads: { proxies: () => STATUSES }, cache, metrics });
  const server = await startAdminServer({ host: '127.0.0.1', port: 0, model, ...(options.secret !== undefined && { webhook: { secret: options.secret, onPush: () => undefined } }) });
  return { server, base: `http://${server.address}`, metrics, snapshot, setReady: (value: boolean) => void (ready = value) };
}

test('healthz is 200 while running; readyz is 503 until a snapshot is served, then 200', async () => {
  const { server, base, setReady } = await fixture({ ready: false });
  try {
    const health = await fetch(`${base}/healthz`);
    assert.is(health.status, 200);
    assert.is(await health.text(), 'ok\n');
    assert.is((await fetch(`${base}/readyz`)).status, 503);
    setReady(true);
    assert.is((await fetch(`${base}/readyz`)).status, 200);
    assert.is((await fetch(`${base}/healthz`, { method: 'HEAD' })).status, 200);
  } finally {
    await server.close();
  }
});

test('status, proxies and snapshot answer JSON in the shapes of DESIGN.md §5', async () => {
  const { server, base, snapshot } = await fixture();
  try {
    for (const path of ['/api/v1/status', '/api/v1/proxies', '/api/v1/snapshot']) {
      const res = await fetch(`${base}${path}?pretty=1`);
      assert.is(res.status, 200, path);
      assert.is(res.headers.get('content-type'), 'application/json; charset=utf-8', path);
    }
    const status = (await (await fetch(`${base}/api/v1/status`)).json()) as StatusJson;
    assert.equal(Object.keys(status), ['state', 'live', 'lastSeen', 'rejected', 'lastError', 'rolledBack']);
    assert.is(status.state, 'serving');
    assert.equal(status.live, { commit: C1, appliedAt: '2025-01-01T00:00:00.000Z' });
    assert.is(status.rejected?.diagnostics[0]?.code, 'GM202');

    const proxies = (await (await fetch(`${base}/api/v1/proxies`)).json()) as ProxyJson[];
    assert.equal(proxies.map((p) => p.id), ['default.api', 'default.old', 'default.web']);
    for (const proxy of proxies) {
      assert.equal(Object.keys(proxy), ['id', 'flavour', 'connected', 'versions', 'commit']);
      for (const versions of Object.values(proxy.versions)) assert.equal(Object.keys(versions), ['sent', 'acked', 'nacked', 'error', 'responses']);
    }
    assert.is(proxies[0]!.flavour, 'grpc');

    const json = (await (await fetch(`${base}/api/v1/snapshot`)).json()) as SnapshotJson;
    assert.is(json.commit, C1);
    assert.equal(Object.keys(json.proxies), ['default.api', 'default.web']);
    const web = json.proxies['default.web']!;
    assert.is(web.flavour, 'envoy');
    assert.equal(Object.keys(web.versions), TYPE_KEYS);
    assert.is(web.versions.clusters, snapshot.versions.cds);
    const cluster = web.resources.clusters![0] as Record<string, unknown>;
    assert.is(cluster['@type'], 'type.googleapis.com/envoy.config.cluster.v3.Cluster');
    assert.is(cluster.name, 'backend');
    assert.is(cluster.connect_timeout, '5s');
  } finally {
    await server.close();
  }
});

test('wrong methods answer 405 with Allow, unknown paths 404, both as JSON errors', async () => {
  const { server, base } = await fixture();
  try {
    const post = await fetch(`${base}/api/v1/status`, { method: 'POST', body: '{}' });
    assert.is(post.status, 405);
    assert.is(post.headers.get('allow'), 'GET, HEAD');
    assert.is(((await post.json()) as { error: { code: string } }).error.code, 'MethodNotAllowed');
    assert.is((await fetch(`${base}/metrics`, { method: 'DELETE' })).status, 405);
    const missing = await fetch(`${base}/api/v2/status`);
    assert.is(missing.status, 404);
    assert.match(missing.headers.get('content-type') ?? '', /^application\/json/);
    assert.is(((await missing.json()) as { error: { code: string } }).error.code, 'NotFound');
    assert.is((await fetch(`${base}/webhook`, { method: 'POST', body: '{}' })).status, 404, 'no webhook configured');
  } finally {
    await server.close();
  }
});

test('metrics: Prometheus text with every gitmesh series, updated by the calls the reconciler and ADS make', async () => {
  const { server, base, metrics } = await fixture();
  try {
    const first = await fetch(`${base}/metrics`);
    assert.is(first.status, 200);
    assert.match(first.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const before = await first.text();
    for (const name of ['gitmesh_reconcile_duration_seconds_bucket', 'gitmesh_commits_applied_total', 'gitmesh_commits_rejected_total', 'gitmesh_connected_proxies', 'gitmesh_xds_acks_total', 'gitmesh_xds_nacks_total', 'gitmesh_xds_push_ack_latency_seconds_bucket', 'process_cpu_seconds_total', 'nodejs_eventloop_lag_seconds']) {
      assert.ok(before.includes(name), name);
    }
    assert.ok(before.includes('gitmesh_connected_proxies 1'), 'read from the function passed in');
    assert.ok(before.includes('gitmesh_commits_applied_total 0'));
    // when the reconciler and the ADS hooks report
    metrics.reconciled('applied', 0.2);
    metrics.reconciled('rejected', 0.05);
    metrics.reconciled('unchanged', 0.001);
    const hooks = metrics.adsHooks();
    hooks.onAck(1, 'cds', 'v1', 12);
    metrics.ack('cds', 0.004);
    metrics.nack('eds');
    // then the next scrape shows it
    const after = await (await fetch(`${base}/metrics`)).text();
    assert.ok(after.includes('gitmesh_commits_applied_total 1'));
    assert.ok(after.includes('gitmesh_commits_rejected_total 1'));
    assert.ok(after.includes('gitmesh_reconcile_duration_seconds_count{outcome="applied"} 1'));
    assert.ok(after.includes('gitmesh_reconcile_duration_seconds_count{outcome="failed"} 0'));
    assert.ok(after.includes('gitmesh_xds_acks_total{type="cds"} 2'));
    assert.ok(after.includes('gitmesh_xds_nacks_total{type="eds"} 1'));
    assert.ok(after.includes('gitmesh_xds_push_ack_latency_seconds_bucket{le="0.005",type="cds"} 1'));
    assert.ok(after.includes('gitmesh_xds_push_ack_latency_seconds_bucket{le="0.025",type="cds"} 2'));
  } finally {
    await server.close();
  }
});

test('a model that throws answers 500 with a JSON error, and the server keeps serving', async () => {
  const broken: AdminModel = {
    ready: () => { throw new Error('no ready'); },
    status: () => { throw new Error('status failed for https://user:hunter2@git.example/r'); },
    proxies: () => [],
    snapshot: () => ({ commit: null, proxies: {} }),
    metrics: { text: () => Promise.reject(new Error('scrape failed')), contentType: 'text/plain' },
  };
  const server = await startAdminServer({ model: broken });
  const base = `http://${server.address}`;
  try {
    const status = await fetch(`${base}/api/v1/status`);
    assert.is(status.status, 500);
    const body = (await status.json()) as { error: { code: string; message: string } };
    assert.is(body.error.code, 'Internal');
    assert.not.ok(body.error.message.includes('hunter2'));
    assert.is((await fetch(`${base}/readyz`)).status, 500);
    assert.is((await fetch(`${base}/metrics`)).status, 500);
    assert.is((await fetch(`${base}/healthz`)).status, 200);
    assert.equal(await (await fetch(`${base}/api/v1/proxies`)).json(), []);
  } finally {
    await server.close();
  }
});

test('snapshotJsonOf: the commit the records share, else null; each proxy with its flavour', () => {
  const cache = new SnapshotCache();
  const snapshot = makeSnapshot(XDS, new EncodeCache());
  assert.equal(snapshotJsonOf(cache), { commit: null, proxies: {} });
  cache.set('default.a', snapshot, { commit: C1 });
  assert.is(snapshotJsonOf(cache).commit, C1);
  assert.is(snapshotJsonOf(cache).proxies['default.a']!.flavour, null);
  cache.set('default.b', snapshot, { commit: C2 });
  assert.is(snapshotJsonOf(cache).commit, null);
  assert.is(snapshotJsonOf(cache, C2).commit, C2);
  cache.set('default.c', snapshot, { commit: '' });
  assert.is(snapshotJsonOf(cache, '').commit, null, 'a folder source has no commit');
});

test('close stops the server and is idempotent', async () => {
  const { server, base } = await fixture();
  await fetch(`${base}/healthz`);
  await Promise.all([server.close(), server.close()]);
  await fetch(`${base}/healthz`).then(
    () => assert.unreachable('the server still answers'),
    () => undefined,
  );
});

test.run();
