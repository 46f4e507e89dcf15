// The end-to-end scenarios, written once and run against every proxyless xDS client (STYLE.md §14):
// a policy folder → startServing (ADS) → a client driver dialing xds:/// → grpc-js backends on 127.0.0.1.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { lintCompiled } from '../../src/compile/lint.js';
import { validateFiles } from '../../src/policies/validate-files.js';
import { startServing, type PublishResult, type Serving } from '../../src/reconcile/serve.js';
import { readSource } from '../../src/source/index.js';
import {
  bootstrapFor,
  eventually,
  startBackend,
  startDriver,
  writePolicyFolder,
  type Backend,
  type BackendSpec,
  type CallCommand,
  type CallResult,
  type Driver,
  type DriverProcess,
  type ResourceDoc,
} from './harness.js';

/** One proxyless xDS client implementation, as the scenarios need it. */
export interface ClientUnderTest {
  /** The suite name. */
  readonly name: string;
  /** Throws, saying what to install, when the client cannot run here: the scenarios then fail, never skip. */
  readonly ensureAvailable?: () => Promise<void>;
  readonly driver: DriverProcess;
  /** What the client's NACK says of a Cluster whose lb_policy (LEAST_REQUEST) it does not support. */
  readonly unsupportedLbNack: RegExp;
  /**
   * Why the client's timeouts from a service config (where xDS max_stream_duration lands) fire
   * early, if they do: then only the upper bound of MeshTimeout's DEADLINE_EXCEEDED is asserted.
   */
  readonly timeoutsFireEarly?: string;
}

const CLIENT = 'client-1';
const NODE_ID = `default.${CLIENT}`;
const ECHO = 'xds:///echo';
const OTHER = 'xds:///other';
const SLOW = 'xds:///slow';
const FLAKY = 'xds:///flaky';
const SLOW_MS = 1500;
const BACKENDS: readonly BackendSpec[] = [
  { name: 'echo-a', service: 'echo', tags: { version: 'v1' } },
  { name: 'echo-b', service: 'echo', tags: { version: 'v1' } },
  { name: 'echo-c', service: 'echo', tags: { version: 'v2' } },
  { name: 'other-a', service: 'other' },
  { name: 'slow-a', service: 'slow', behaviour: { kind: 'sleep', ms: SLOW_MS } },
  { name: 'flaky-a', service: 'flaky', behaviour: { kind: 'fail-first-attempt' } },
];
const XDS_TYPES = ['lds', 'rds', 'cds', 'eds'] as const;

/** The live state the ADS server keeps per stream and type (read through Serving, wherever it is declared). */
type StreamTypes = NonNullable<ReturnType<Serving['ads']['service']['proxy']>>['streams'][number]['types'];
type TypeStatus = NonNullable<StreamTypes[(typeof XDS_TYPES)[number]]>;

/** A policy on the whole mesh with one `to[]` entry. */
function meshPolicy(type: string, name: string, to: ResourceDoc): ResourceDoc {
  return { type, name, mesh: 'default', spec: { targetRef: { kind: 'Mesh' }, to: [to] } };
}

const meshService = (name: string) => ({ kind: 'MeshService', name });

/** MeshHTTPRoute: echo split between its `version: v1` and `version: v2` subsets. */
function split(v1: number, v2: number): ResourceDoc {
  const subset = (version: string, weight: number) => ({ kind: 'MeshServiceSubset', name: 'echo', tags: { version }, weight });
  return meshPolicy('MeshHTTPRoute', 'echo-split', {
    targetRef: meshService('echo'),
    rules: [{ matches: [{ path: { type: 'PathPrefix', value: '/' } }], default: { backendRefs: [subset('v1', v1), subset('v2', v2)] } }],
  });
}

const requestTimeout = (service: string, timeout: string) =>
  meshPolicy('MeshTimeout', `${service}-timeout`, { targetRef: meshService(service), default: { http: { requestTimeout: timeout } } });
/** MeshFaultInjection `to` takes only `kind: Mesh`: every outbound of the client aborts. */
const abortAll = (httpStatus: number) =>
  meshPolicy('MeshFaultInjection', 'abort-all', { targetRef: { kind: 'Mesh' }, default: { http: [{ abort: { httpStatus, percentage: 100 } }] } });
const retryUnavailable = (service: string, numRetries: number) =>
  meshPolicy('MeshRetry', `${service}-retry`, { targetRef: meshService(service), default: { grpc: { numRetries, retryOn: ['Unavailable'] } } });
const loadBalancer = (service: string, type: string) =>
  meshPolicy('MeshLoadBalancingStrategy', `${service}-lb`, { targetRef: meshService(service), default: { loadBalancer: { type } } });

/** What every scenario works with; `serving` changes when a scenario restarts the server. */
interface Env {
  readonly dir: string;
  readonly backends: ReadonlyMap<string, Backend>;
  readonly driver: Driver;
  serving: Serving;
  /** Writes the folder with exactly these policies and reloads. */
  apply(policies: readonly ResourceDoc[]): Promise<PublishResult>;
  call(target: string, n: number, options?: Omit<CallCommand, 'target' | 'n'>): Promise<CallResult>;
}

function failures(result: CallResult): number {
  return Object.entries(result.codes).reduce((sum, [code, n]) => (code === 'OK' ? sum : sum + n), 0);
}

/** Asserts every RPC of the batch succeeded; returns it. */
function allOk(result: CallResult, what: string): CallResult {
  assert.ok(failures(result) === 0, `${what}: RPCs failed: codes ${JSON.stringify(result.codes)}, details ${JSON.stringify(result.details)}`);
  return result;
}

function echoBackends(env: Env): Backend[] {
  return [...env.backends.values()].filter((b) => b.service === 'echo');
}

/** The share of `version: v2` backends among the answered RPCs; NaN when none was answered. */
function v2Share(env: Env, result: CallResult): number {
  const echo = echoBackends(env);
  const total = echo.reduce((sum, b) => sum + (result.answers[b.name] ?? 0), 0);
  return echo.filter((b) => b.tags?.version === 'v2').reduce((sum, b) => sum + (result.answers[b.name] ?? 0), 0) / total;
}

/** |observed − p| within 4 standard deviations of a binomial(n, p) share (a false failure about once in 16,000 runs). */
function assertShare(observed: number, p: number, n: number, label: string): void {
  const tolerance = 4 * Math.sqrt((p * (1 - p)) / n);
  assert.ok(Math.abs(observed - p) <= tolerance, `${label}: v2 share ${observed.toFixed(3)} not within ${p} ± ${tolerance.toFixed(3)} (4σ, n=${n})`);
}

/** The per-type state of the client's one open ADS stream. */
function liveTypes(serving: Serving): StreamTypes {
  const status = serving.ads.service.proxy(NODE_ID);
  const open = status?.streams.filter((s) => s.connected) ?? [];
  assert.is(open.length, 1, `one open ADS stream for ${NODE_ID}: ${JSON.stringify(status?.streams.map((s) => s.streamId))}`);
  return open[0]!.types;
}

function typeStatus(serving: Serving, type: (typeof XDS_TYPES)[number]): TypeStatus {
  const status = liveTypes(serving)[type];
  assert.ok(status, `${NODE_ID} subscribed to ${type}`);
  return status;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Switches the echo split by applying `policies` while RPCs run, then keeps sending batches of
 * 200 back to back until the v2 share is closer to `target` than to what it was before. Counts
 * every RPC that failed on the way. Fails after 15 s.
 */
async function switchSplit(env: Env, policies: readonly ResourceDoc[], target: number): Promise<{ failed: number; ms: number; batches: number }> {
  const before = v2Share(env, allOk(await env.call(ECHO, 200), 'before the switch'));
  assert.ok(Math.abs(before - target) > 0.15, `the v2 share before the switch (${before.toFixed(3)}) is already near ${target}`);
  const start = Date.now();
  const [, first] = await Promise.all([env.apply(policies), env.call(ECHO, 200)]);
  let failed = failures(first);
  let share = v2Share(env, first);
  let batches = 1;
  while (!(Math.abs(share - target) < Math.abs(share - before))) {
    assert.ok(Date.now() - start < 15_000, `the v2 share never moved to ${target}: ${share.toFixed(3)} after ${batches} batches`);
    const batch = await env.call(ECHO, 200);
    failed += failures(batch);
    share = v2Share(env, batch);
    batches++;
  }
  return { failed, ms: Date.now() - start, batches };
}

/** Every type of the client's stream ACKed at what was last sent. */
function assertAllAcked(serving: Serving): Record<string, string> {
  const versions: Record<string, string> = {};
  for (const type of XDS_TYPES) {
    const status = typeStatus(serving, type);
    assert.ok(status.state === 'Acked' && status.ackedVersion === status.sentVersion, `${type}: ${JSON.stringify(status)}`);
    versions[type] = status.ackedVersion!;
  }
  return versions;
}

async function compileWarnings(dir: string): Promise<string[]> {
  const read = await readSource({ src: dir });
  const validation = validateFiles({ files: read.files, sourceDiagnostics: read.diagnostics });
  return lintCompiled(validation.resources).diagnostics.map((d) => `${d.code} ${d.message}`);
}

/** Registers (and runs) the scenario suite for one client. Each suite has its own folder, server, backends and driver. */
export function registerScenarios(client: ClientUnderTest): void {
  const test = suite(client.name);
  const report = (line: string) => console.log(`  e2e ${client.name}: ${line}`);
  let prepared: Env | undefined;
  let setupError: unknown;
  const owned: { dir?: string; backends: Backend[]; serving?: Serving; driver?: Driver } = { backends: [] };

  // uvu swallows an error thrown by a before hook (its runner returns from `finally`), so a setup
  // failure is kept and rethrown by every test: each one fails with the reason.
  const ready = (): Env => {
    if (prepared) return prepared;
    throw setupError instanceof Error ? setupError : new Error(`setup failed: ${String(setupError)}`);
  };

  test.before(async () => {
    try {
      await client.ensureAvailable?.();
      owned.dir = await mkdtemp(join(tmpdir(), `gitmesh-e2e-${client.name}-`));
      for (const spec of BACKENDS) owned.backends.push(await startBackend(spec));
      const dir = owned.dir;
      const layout = { backends: owned.backends, clientName: CLIENT };
      await writePolicyFolder(dir, layout, []);
      // NACK rollback off: these scenarios check the protocol rules themselves (rollback has its own test).
      owned.serving = await startServing({ repo: dir, xdsPort: 0, host: '127.0.0.1', nackThreshold: 0 });
      owned.driver = await startDriver(client.driver, bootstrapFor(owned.serving.address, NODE_ID));
      const driver = owned.driver;
      prepared = {
        dir,
        backends: new Map(owned.backends.map((b) => [b.name, b])),
        driver,
        serving: owned.serving,
        async apply(policies) {
          await writePolicyFolder(dir, layout, policies);
          return this.serving.reload();
        },
        call: (target, n, options = {}) => driver.call({ target, n, ...options }),
      };
    } catch (error) {
      setupError = error;
    }
  });

  test.after(async () => {
    await owned.driver?.close();
    await (prepared?.serving ?? owned.serving)?.close();
    for (const backend of owned.backends) backend.close();
    if (owned.dir) await rm(owned.dir, { recursive: true, force: true });
  });

  test('RPCs to xds:///echo reach every echo backend and no other service', async () => {
    const env = ready();
    assert.equal(env.serving.current.proxyless, [NODE_ID]);
    // The first RPC waits for the xDS resolution (LDS → RDS → CDS → EDS).
    allOk(await env.call(ECHO, 1, { timeoutMs: 15_000, waitForReady: true }), 'the first RPC');
    const echo = allOk(await env.call(ECHO, 300), 'echo');
    for (const b of echoBackends(env)) assert.ok((echo.answers[b.name] ?? 0) > 0, `${b.name} got no RPC: ${JSON.stringify(echo.answers)}`);
    assert.equal(Object.keys(echo.answers).sort(), echoBackends(env).map((b) => b.name).sort(), 'only echo backends answer xds:///echo');
    const other = allOk(await env.call(OTHER, 20, { timeoutMs: 15_000, waitForReady: true }), 'other');
    assert.equal(other.answers, { 'other-a': 20 }, 'xds:///other reaches only its backend');
    assert.ok(env.serving.ads.service.proxy(NODE_ID)?.connected, 'the client shows as a connected proxy');
    report(`echo answers ${JSON.stringify(echo.answers)} (300 RPCs, ${echo.ms} ms)`);
  });

  test('a MeshHTTPRoute 90/10 split by version holds within 4σ over 1,000 RPCs, and no RPC fails while it comes in', async () => {
    const env = ready();
    await env.apply([]);
    const switched = await switchSplit(env, [split(90, 10)], 0.1);
    const measured = allOk(await env.call(ECHO, 1000), '90/10');
    const share = v2Share(env, measured);
    assertShare(share, 0.1, 1000, '90/10');
    assert.is(switched.failed, 0, 'RPCs failed while the route (and the subset clusters) came in');
    report(`90/10: v2 share ${share.toFixed(3)} over 1000 RPCs; switch from echo to its subsets took ${switched.ms} ms (${switched.batches} batches of 200), ${switched.failed} failed`);
  });

  test('a reload to 50/50 moves the traffic with no RPC failing during the switch', async () => {
    const env = ready();
    await env.apply([split(90, 10)]);
    await eventually('the 90/10 split', async () => assert.ok(v2Share(env, await env.call(ECHO, 200)) < 0.2));
    const switched = await switchSplit(env, [split(50, 50)], 0.5);
    const measured = allOk(await env.call(ECHO, 1000), '50/50');
    const share = v2Share(env, measured);
    assertShare(share, 0.5, 1000, '50/50');
    assert.is(switched.failed, 0, 'RPCs failed while the weights changed');
    report(`50/50: v2 share ${share.toFixed(3)} over 1000 RPCs; switch took ${switched.ms} ms (${switched.batches} batches of 200), ${switched.failed} failed`);
  });

  test('MeshTimeout ends a call to a slow backend with DEADLINE_EXCEEDED long before the client deadline; removing it lets the call finish', async () => {
    const env = ready();
    await env.apply([]);
    const slow = allOk(await env.call(SLOW, 4, { timeoutMs: 5000, waitForReady: true }), `a ${SLOW_MS} ms backend with no MeshTimeout`);
    await env.apply([requestTimeout('slow', '200ms')]);
    const cut = await eventually('MeshTimeout requestTimeout 200ms on the client', async () => {
      const result = await env.call(SLOW, 4, { timeoutMs: 5000 });
      assert.equal(result.codes, { DEADLINE_EXCEEDED: 4 }, `codes ${JSON.stringify(result.codes)}`);
      return result;
    });
    const cutMs = cut.maxMs.DEADLINE_EXCEEDED!;
    assert.ok(cutMs < 1000, `DEADLINE_EXCEEDED after ${cutMs} ms: the policy's 200 ms, not the client's 5000 ms nor the backend's ${SLOW_MS} ms`);
    if (!client.timeoutsFireEarly) assert.ok(cutMs >= 195, `DEADLINE_EXCEEDED after ${cutMs} ms, before the policy's 200 ms`);
    await env.apply([]);
    await eventually('success without the MeshTimeout', async () => allOk(await env.call(SLOW, 4, { timeoutMs: 5000 }), 'slow'));
    const early = client.timeoutsFireEarly ? ` (fires early: ${client.timeoutsFireEarly})` : '';
    report(`MeshTimeout 200ms: DEADLINE_EXCEEDED after at most ${cutMs} ms${early}; without it the calls took ${slow.maxMs.OK} ms`);
  });

  test('MeshFaultInjection abort 503 at 100% fails every RPC with UNAVAILABLE before any backend; removing it restores success', async () => {
    const env = ready();
    await env.apply([]);
    allOk(await env.call(ECHO, 20), 'echo before the fault');
    const reached = () => echoBackends(env).reduce((sum, b) => sum + b.stats.calls, 0);
    await env.apply([abortAll(503)]);
    // gRFC A33: http_status goes through gRPC's HTTP → status mapping, and 503 is UNAVAILABLE.
    const aborted = await eventually('the abort on the client', async () => {
      const calls = reached();
      const result = await env.call(ECHO, 50);
      assert.equal(result.codes, { UNAVAILABLE: 50 }, `codes ${JSON.stringify(result.codes)}`);
      assert.is(reached(), calls, 'aborted RPCs never reach a backend');
      return result;
    });
    await env.apply([]);
    await eventually('success without the fault', async () => allOk(await env.call(ECHO, 50), 'echo'));
    report(`MeshFaultInjection abort 503: 50/50 UNAVAILABLE (${JSON.stringify(aborted.details.UNAVAILABLE)}), no backend reached`);
  });

  test('MeshRetry lets every RPC succeed past a backend that fails each first attempt; without it they fail', async () => {
    const env = ready();
    await env.apply([]);
    const flaky = env.backends.get('flaky-a')!;
    const without = await env.call(FLAKY, 50, { timeoutMs: 5000, waitForReady: true });
    assert.equal(without.codes, { UNAVAILABLE: 50 }, 'with no retry policy every first-attempt failure reaches the client');
    await env.apply([retryUnavailable('flaky', 3)]);
    await eventually('MeshRetry on the client', async () => allOk(await env.call(FLAKY, 20), 'flaky'));
    const failedBefore = flaky.stats.failures;
    const retried = allOk(await env.call(FLAKY, 200), 'flaky with MeshRetry');
    assert.is(flaky.stats.failures - failedBefore, 200, 'the backend failed the first attempt of each of the 200 RPCs');
    await env.apply([]);
    await eventually('failures again without the MeshRetry', async () => assert.equal((await env.call(FLAKY, 20)).codes, { UNAVAILABLE: 20 }));
    report(`MeshRetry: 200/200 OK in ${retried.ms} ms while the backend failed 200 first attempts; without it 50/50 UNAVAILABLE`);
  });

  test('a Cluster the client NACKs is never sent again, and RPCs keep running on the last good config', async () => {
    const env = ready();
    await env.apply([]);
    await eventually('every type ACKed', async () => assertAllAcked(env.serving));
    const good = typeStatus(env.serving, 'cds');
    const policies = [loadBalancer('echo', 'LeastRequest')];
    const published = await env.apply(policies);
    assert.equal(published.changed, [NODE_ID]);
    const warnings = await compileWarnings(env.dir);
    assert.ok(warnings.some((w) => w.startsWith('GM401') && w.includes('NACK')), `the compiler predicts the NACK (GM401): ${JSON.stringify(warnings)}`);
    let rpcs = 0;
    const keepCalling = async (what: string) => {
      rpcs += allOk(await env.call(ECHO, 100), what).codes.OK ?? 0;
    };
    const nacked = await eventually('the client NACKs the LEAST_REQUEST cluster', async () => {
      await keepCalling('while the NACK comes');
      const cds = typeStatus(env.serving, 'cds');
      assert.is(cds.state, 'Nacked', JSON.stringify(cds));
      return cds;
    });
    assert.is(nacked.responses, good.responses + 1, 'the bad clusters went out once');
    assert.match(nacked.error ?? '', client.unsupportedLbNack, `the client's NACK: ${nacked.error}`);
    assert.is(nacked.nackedVersion, nacked.sentVersion);

    assert.equal((await env.serving.reload()).changed, [], 'a reload of the same tree changes nothing');
    const waitUntil = Date.now() + 2000;
    while (Date.now() < waitUntil) await keepCalling('after the NACK');
    // A change to another type goes out; the NACKed clusters still do not.
    const rdsBefore = typeStatus(env.serving, 'rds').responses;
    await env.apply([...policies, requestTimeout('echo', '10s')]);
    await eventually('the new routes ACKed', async () => {
      await keepCalling('while routes change');
      const rds = typeStatus(env.serving, 'rds');
      assert.ok(rds.responses === rdsBefore + 1 && rds.state === 'Acked', JSON.stringify(rds));
    });
    const still = typeStatus(env.serving, 'cds');
    assert.equal([still.responses, still.state, still.sentVersion], [nacked.responses, 'Nacked', nacked.sentVersion], 'the NACKed version is never resent');

    await env.apply([]);
    await eventually('the good clusters again, ACKed', async () => {
      const cds = typeStatus(env.serving, 'cds');
      assert.ok(cds.state === 'Acked' && cds.ackedVersion === good.ackedVersion, JSON.stringify(cds));
    });
    await keepCalling('after the policy is gone');
    report(`NACK of lb_policy LEAST_REQUEST: ${JSON.stringify(nacked.error)}; CDS responses stayed ${nacked.responses} over an identical reload, 2 s and a route change; ${rpcs} RPCs, 0 failed`);
  });

  test('a client reconnecting to a restarted server with the same content names the versions it holds and gets no push', async () => {
    const env = ready();
    await env.apply([]);
    allOk(await env.call(ECHO, 50), 'echo before the restart');
    const held = await eventually('every type ACKed', async () => assertAllAcked(env.serving));
    const port = env.serving.port;
    await env.serving.close();
    const restart = Date.now();
    allOk(await env.call(ECHO, 50), 'echo while the control plane is down');
    env.serving = await startServing({ repo: env.dir, xdsPort: port, host: '127.0.0.1', nackThreshold: 0 });
    const serving = env.serving;
    await eventually('the client back on the restarted server, holding its versions', async () => {
      for (const type of XDS_TYPES) {
        const status = typeStatus(serving, type);
        assert.ok(status.state === 'Acked' && status.responses === 0 && status.ackedVersion === held[type], `${type}: ${JSON.stringify(status)}`);
      }
    });
    const reconnectMs = Date.now() - restart;
    allOk(await env.call(ECHO, 100), 'echo after the restart');
    await sleep(500);
    for (const type of XDS_TYPES) assert.is(typeStatus(serving, type).responses, 0, `${type} was pushed after the reconnect`);
    report(`restart on port ${port}: reconnected in ${reconnectMs} ms holding ${JSON.stringify(held)}; 0 responses on the new stream`);
  });

  test.run();
}
