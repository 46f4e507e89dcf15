// End to end: a policy folder → startServing (ADS) → a real proxyless grpc-js client (@grpc/grpc-js-xds)
// dialing xds:///echo → real grpc-js backends on 127.0.0.1. Checks that RPCs land on the backends,
// that a MeshHTTPRoute 90/10 split is honoured, and that a reload to 50/50 reaches the client.
//
// grpc-js-xds reads its bootstrap once per process, lazily (when the first xds:/// channel
// resolves), and keeps one XdsClient per process: this file is the only one that dials xds:///,
// and it sets GRPC_XDS_BOOTSTRAP_CONFIG after the ADS port is known and before that first dial.
import * as grpc from '@grpc/grpc-js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startServing, type Serving } from '../../src/reconcile/serve.js';

const require = createRequire(import.meta.url);

/** `/demo.Echo/Who`: any request; the answer is the backend's name. Raw bytes both ways. */
const identity = (b: Buffer) => b;
const ECHO_SERVICE: grpc.ServiceDefinition = {
  Who: {
    path: '/demo.Echo/Who',
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

interface Backend {
  readonly name: string;
  readonly version: 'v1' | 'v2';
  readonly port: number;
  readonly server: grpc.Server;
}

async function startBackend(name: string, version: 'v1' | 'v2'): Promise<Backend> {
  const server = new grpc.Server();
  server.addService(ECHO_SERVICE, {
    Who: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => callback(null, Buffer.from(name)),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
  );
  return { name, version, port, server };
}

function policyFolder(backends: readonly Backend[]): string {
  const docs = [
    'type: Mesh\nname: default\n',
    ...backends.map(
      (b) => `type: Dataplane
name: ${b.name}
mesh: default
labels:
  app: echo
networking:
  address: 127.0.0.1
  inbound:
    - port: ${b.port}
      tags:
        kuma.io/service: echo
        kuma.io/protocol: grpc
        version: ${b.version}
`,
    ),
    // A proxyless client with no outbounds: it may dial every service of the mesh.
    `type: Dataplane
name: client-1
mesh: default
labels:
  app: client
  gitmesh.io/proxyless: "true"
networking:
  address: 127.0.0.1
`,
  ];
  return docs.join('---\n');
}

function route(v1: number, v2: number): string {
  return `type: MeshHTTPRoute
name: echo-split
mesh: default
spec:
  targetRef:
    kind: Mesh
  to:
    - targetRef:
        kind: MeshService
        name: echo
      rules:
        - matches:
            - path:
                type: PathPrefix
                value: /
          default:
            backendRefs:
              - kind: MeshServiceSubset
                name: echo
                tags:
                  version: v1
                weight: ${v1}
              - kind: MeshServiceSubset
                name: echo
                tags:
                  version: v2
                weight: ${v2}
`;
}

type EchoClient = grpc.Client & { Who(request: Buffer, metadata: grpc.Metadata, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null, response?: Buffer) => void): grpc.ClientUnaryCall };

function who(client: EchoClient, timeoutMs: number, waitForReady = false): Promise<string> {
  return new Promise((resolve, reject) => {
    client.Who(Buffer.alloc(0), new grpc.Metadata({ waitForReady }), { deadline: Date.now() + timeoutMs }, (error, response) =>
      error ? reject(error) : resolve(response ? response.toString() : ''),
    );
  });
}

const FAILED = '(failed)';

/**
 * `n` RPCs, `concurrency` at a time; answers counted per backend name. With `tolerant`, a failed
 * RPC counts under FAILED instead of failing the batch (used while a config switch propagates).
 */
async function countAnswers(client: EchoClient, n: number, options: { concurrency?: number; tolerant?: boolean } = {}): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let issued = 0;
  const worker = async () => {
    while (issued < n) {
      issued++;
      let name: string;
      try {
        name = await who(client, 5000);
      } catch (error) {
        if (!options.tolerant) throw error;
        name = FAILED;
      }
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 25 }, worker));
  return counts;
}

/** The share of `version` among the answered RPCs (failed ones left out). */
function share(counts: ReadonlyMap<string, number>, backends: readonly Backend[], version: 'v1' | 'v2'): number {
  const total = [...counts.entries()].reduce((sum, [name, n]) => (name === FAILED ? sum : sum + n), 0);
  const of = backends.filter((b) => b.version === version).reduce((sum, b) => sum + (counts.get(b.name) ?? 0), 0);
  return of / total;
}

/** |observed − p| within 4 standard deviations of a binomial(n, p) share. */
function assertShare(observed: number, p: number, n: number, label: string): void {
  const tolerance = 4 * Math.sqrt((p * (1 - p)) / n);
  assert.ok(Math.abs(observed - p) <= tolerance, `${label}: v2 share ${observed.toFixed(3)} not within ${p} ± ${tolerance.toFixed(3)} (4σ: a false failure about once in 16,000 runs, n=${n})`);
}

const state: { dir?: string; backends: Backend[]; serving?: Serving; client?: EchoClient } = { backends: [] };
const N = 1000;

test.before(async () => {
  state.backends = [await startBackend('echo-a', 'v1'), await startBackend('echo-b', 'v1'), await startBackend('echo-c', 'v2')];
  state.dir = await mkdtemp(join(tmpdir(), 'gitmesh-e2e-'));
  await writeFile(join(state.dir, 'mesh.yaml'), policyFolder(state.backends));
  state.serving = await startServing({ repo: state.dir, xdsPort: 0, host: '127.0.0.1' });
  // The bootstrap is read once per process, when the first xds:/// channel resolves (see the top).
  delete process.env.GRPC_XDS_BOOTSTRAP;
  process.env.GRPC_XDS_BOOTSTRAP_CONFIG = JSON.stringify({
    xds_servers: [{ server_uri: state.serving.address, channel_creds: [{ type: 'insecure' }], server_features: [] }],
    node: { id: 'default.client-1', locality: {} },
  });
  (require('@grpc/grpc-js-xds') as { register(): void }).register();
  const Client = grpc.makeGenericClientConstructor(ECHO_SERVICE, 'Echo') as unknown as new (target: string, creds: grpc.ChannelCredentials) => EchoClient;
  state.client = new Client('xds:///echo', grpc.credentials.createInsecure());
});

test.after(async () => {
  state.client?.close();
  await state.serving?.close();
  for (const b of state.backends) b.server.forceShutdown();
  if (state.dir) await rm(state.dir, { recursive: true, force: true });
});

test('serving: one snapshot per Dataplane, under MESH.NAME', () => {
  assert.equal(state.serving!.current.proxies, ['default.client-1', 'default.echo-a', 'default.echo-b', 'default.echo-c']);
});

test('a proxyless grpc-js client dials xds:///echo and reaches every backend', async () => {
  // The first RPC waits for the xDS resolution (LDS → RDS → CDS → EDS) to complete.
  const first = await who(state.client!, 15_000, true);
  assert.ok(['echo-a', 'echo-b', 'echo-c'].includes(first), `answered by ${first}`);
  const counts = await countAnswers(state.client!, 300);
  for (const b of state.backends) assert.ok((counts.get(b.name) ?? 0) > 0, `${b.name} got no RPC: ${JSON.stringify([...counts])}`);
  assert.is([...counts.values()].reduce((a, b) => a + b, 0), 300);
  const nodeStatus = state.serving!.ads.service.proxy('default.client-1');
  assert.ok(nodeStatus?.connected, 'the client shows as a connected proxy');
});

test('a MeshHTTPRoute 90/10 split between v1 and v2, then a reload to 50/50, with no RPC failing on the way', async () => {
  const serving = state.serving!;
  const client = state.client!;
  await writeFile(join(state.dir!, 'route.yaml'), route(90, 10));
  const first = await serving.reload();
  assert.ok(first.changed.includes('default.client-1'), `the client's snapshot changed: ${JSON.stringify(first.changed)}`);
  // Wait (bounded) until the client routes by weight: v2 share of a batch of 200 near 10%.
  let failedInSwitch = 0;
  const switchStart = Date.now();
  const deadline = Date.now() + 15_000;
  for (;;) {
    const batch = await countAnswers(client, 200, { tolerant: true });
    failedInSwitch += batch.get(FAILED) ?? 0;
    const probe = share(batch, state.backends, 'v2');
    if (Math.abs(probe - 0.1) < 0.08) break;
    assert.ok(Date.now() < deadline, `the 90/10 split never showed (v2 share ${probe})`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const firstSwitch = { failed: failedInSwitch, ms: Date.now() - switchStart };
  failedInSwitch = 0;
  const split90 = await countAnswers(client, N);
  const v2at90 = share(split90, state.backends, 'v2');
  assertShare(v2at90, 0.1, N, '90/10');

  await writeFile(join(state.dir!, 'route.yaml'), route(50, 50));
  const second = await serving.reload();
  assert.equal(second.changed, ['default.client-1'], 'only the client (the route holder) changes');
  const switch2Start = Date.now();
  const deadline2 = Date.now() + 15_000;
  for (;;) {
    const batch = await countAnswers(client, 200, { tolerant: true });
    failedInSwitch += batch.get(FAILED) ?? 0;
    const probe = share(batch, state.backends, 'v2');
    if (probe > 0.3) break;
    assert.ok(Date.now() < deadline2, `the 50/50 split never showed (v2 share ${probe})`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const secondSwitch = { failed: failedInSwitch, ms: Date.now() - switch2Start };
  const split50 = await countAnswers(client, N);
  const v2at50 = share(split50, state.backends, 'v2');
  assertShare(v2at50, 0.5, N, '50/50');
  // Make before break: the old cluster stays until the client ACKed the routes that replace it.
  assert.equal([firstSwitch.failed, secondSwitch.failed], [0, 0], 'no RPC fails while clusters are renamed or reweighted');
  console.log(`  e2e: v2 share ${v2at90.toFixed(3)} at 90/10, ${v2at50.toFixed(3)} at 50/50 (n=${N} each, 0 failed); failed while switching: ${firstSwitch.failed} in ${firstSwitch.ms}ms (echo → subsets), ${secondSwitch.failed} in ${secondSwitch.ms}ms (weights only)`);

  // An unchanged tree is no change.
  const third = await serving.reload();
  assert.equal(third.changed, []);
});

test.run();
