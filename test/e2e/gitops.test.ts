// The GitOps loop with real parts: a Git server (git http-backend) pushed to by the git CLI,
// startServing following it over HTTP, a proxyless grpc-js client (driver process) on its ADS
// port, and grpc-js echo backends. A push and a signed webhook go live; a bad commit does not;
// a bad or missing signature fetches nothing; a remote that goes down leaves the proxies served.
// The SIGKILL/restart case is in gitops-restart.test.ts.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Diagnostic } from '../../src/core/diagnostics.js';
import type { SnapshotJson } from '../../src/reconcile/admin.js';
import type { StatusJson } from '../../src/reconcile/reconciler.js';
import { startServing, type Serving } from '../../src/reconcile/serve.js';
import { StateDir, type AppliedEntry } from '../../src/reconcile/state-dir.js';
import { startGitServer, type GitServer, type WorkClone } from '../helpers/git-server.js';
import {
  bootstrapFor,
  ECHO_ROUTE_WEIGHT_LINE,
  echoRouteYaml,
  eventually,
  getJson,
  GRPC_JS_XDS_DRIVER,
  postPushWebhook,
  startBackend,
  startDriver,
  writePolicyFolder,
  type Backend,
  type CallResult,
  type Driver,
  type WebhookSigning,
} from './harness.js';

const SECRET = 'gitops-e2e-webhook-secret';
const CLIENT = 'client-1';
const NODE_ID = `default.${CLIENT}`;
const ECHO = 'xds:///echo';
const ROUTE_FILE = 'policies/route.yaml';
const XDS_TYPES = ['lds', 'rds', 'cds', 'eds'] as const;
/** A poll so long that only the webhook (or the start) fetches. */
const NO_POLL_MS = 3_600_000;

const report = (line: string) => console.log(`  gitops: ${line}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Everything one test runs against; `close` ends it all (idempotent parts, run in finally). */
interface Fixture {
  readonly git: GitServer;
  readonly repo: WorkClone;
  readonly backends: readonly Backend[];
  readonly stateDir: string;
  readonly serving: Serving;
  /** `http://127.0.0.1:PORT` of the admin API. */
  readonly admin: string;
  /** The driver, when the test asked for a client. */
  readonly driver: Driver | undefined;
  /** Commit A: echo routed to v1, served when the fixture is ready. */
  readonly first: string;
  close(): Promise<void>;
}

/**
 * A Git server with a repository `policies` (Mesh, echo-v1/echo-v2 backends' Dataplanes, the
 * proxyless client, and policies/route.yaml sending echo to v1) pushed as commit A; startServing
 * following it at `main` over HTTP with a state dir and the admin API; and, unless `client` is
 * false, a grpc-js-xds driver whose first RPC got an answer.
 */
async function fixture(options: { pollMs: number; webhookSecret?: string; client?: boolean }): Promise<Fixture> {
  const owned: { git?: GitServer; backends: Backend[]; stateDir?: string; serving?: Serving; driver?: Driver } = { backends: [] };
  const close = async () => {
    await owned.driver?.close();
    await owned.serving?.close();
    for (const backend of owned.backends) backend.close();
    await owned.git?.close();
    if (owned.stateDir) await rm(owned.stateDir, { recursive: true, force: true });
  };
  try {
    owned.git = await startGitServer();
    owned.backends.push(await startBackend({ name: 'echo-v1', service: 'echo', tags: { version: 'v1' } }));
    owned.backends.push(await startBackend({ name: 'echo-v2', service: 'echo', tags: { version: 'v2' } }));
    const repo = await owned.git.createRepo('policies');
    await writePolicyFolder(repo.dir, { backends: owned.backends, clientName: CLIENT }, []);
    const first = await repo.commit({ [ROUTE_FILE]: echoRouteYaml('v1') }, 'route echo to v1');
    await repo.push();
    owned.stateDir = await mkdtemp(join(tmpdir(), 'gitmesh-gitops-state-'));
    owned.serving = await startServing({
      repo: repo.url,
      ref: 'main',
      xdsPort: 0,
      host: '127.0.0.1',
      httpPort: 0,
      stateDir: owned.stateDir,
      pollMs: options.pollMs,
      ...(options.webhookSecret !== undefined && { webhookSecret: options.webhookSecret }),
    });
    const status = owned.serving.status();
    assert.is(status.live?.commit, first, `the first commit is live at start: ${JSON.stringify(status)}`);
    if (options.client !== false) {
      owned.driver = await startDriver(GRPC_JS_XDS_DRIVER, bootstrapFor(owned.serving.address, NODE_ID));
      // The first RPC waits for the xDS resolution (LDS → RDS → CDS → EDS).
      const firstRpc = await owned.driver.call({ target: ECHO, n: 1, timeoutMs: 15_000, waitForReady: true });
      assert.equal(firstRpc.codes, { OK: 1 }, `the first RPC: ${JSON.stringify(firstRpc)}`);
    }
    return {
      git: owned.git,
      repo,
      backends: owned.backends,
      stateDir: owned.stateDir,
      serving: owned.serving,
      admin: `http://${owned.serving.admin!.address}`,
      driver: owned.driver,
      first,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

function driverOf(f: Fixture): Driver {
  assert.ok(f.driver, 'the fixture has a client');
  return f.driver;
}

/** `n` RPCs to xds:///echo that must all succeed; returns the answers by backend. */
async function echoCalls(f: Fixture, n: number, what: string): Promise<CallResult['answers']> {
  const result = await driverOf(f).call({ target: ECHO, n });
  assert.equal(result.codes, { OK: n }, `${what}: codes ${JSON.stringify(result.codes)}, details ${JSON.stringify(result.details)}`);
  return result.answers;
}

const status = (f: Fixture) => getJson<StatusJson>(`${f.admin}/api/v1/status`);
const snapshot = (f: Fixture) => getJson<SnapshotJson>(`${f.admin}/api/v1/snapshot`);

/** The client's per-type `responses` on its open ADS stream (the live state in-process). */
function responses(f: Fixture): Record<string, number> {
  const proxy = f.serving.ads.service.proxy(NODE_ID);
  const open = proxy?.streams.filter((s) => s.connected) ?? [];
  assert.is(open.length, 1, `one open ADS stream for ${NODE_ID}`);
  return Object.fromEntries(XDS_TYPES.map((type) => [type, open[0]!.types[type]?.responses ?? 0]));
}

/** Every type of the client's stream ACKed at what it was last sent. */
function assertAcked(f: Fixture): void {
  const open = f.serving.ads.service.proxy(NODE_ID)?.streams.filter((s) => s.connected) ?? [];
  assert.is(open.length, 1, `one open ADS stream for ${NODE_ID}`);
  for (const type of XDS_TYPES) {
    const t = open[0]!.types[type];
    assert.ok(t && t.state === 'Acked' && t.ackedVersion === t.sentVersion, `${type}: ${JSON.stringify(t)}`);
  }
}

async function appliedLog(f: Fixture): Promise<AppliedEntry[]> {
  return new StateDir(f.stateDir).log();
}

/** Commits `files`, pushes, and POSTs a signed webhook for the new commit (202 expected); returns the commit and when the webhook was sent. */
async function pushAndNotify(f: Fixture, files: Record<string, string>, message: string): Promise<{ commit: string; sentAt: number }> {
  const commit = await f.repo.commit(files, message);
  await f.repo.push();
  const sentAt = performance.now();
  const hook = await postPushWebhook(f.admin, { after: commit, signing: { secret: SECRET } });
  assert.is(hook.status, 202, `webhook answer: ${JSON.stringify(hook.body)}`);
  return { commit, sentAt };
}

test('push → live: a commit pushed and announced by a signed webhook moves the RPCs of a real gRPC client, and the state dir records who and when', async () => {
  const f = await fixture({ pollMs: NO_POLL_MS, webhookSecret: SECRET });
  try {
    assert.equal(await echoCalls(f, 50, 'before the push'), { 'echo-v1': 50 }, 'commit A routes echo to v1 only');
    await eventually('the client ACKed commit A', async () => assertAcked(f));

    const { commit, sentAt } = await pushAndNotify(f, { [ROUTE_FILE]: echoRouteYaml('v2') }, 'route echo to v2\n\nall of it');
    let batches = 0;
    let appliedMs: number | undefined;
    for (;;) {
      const answers = await echoCalls(f, 20, 'while the route changes');
      batches++;
      if (appliedMs === undefined && f.serving.status().live?.commit === commit) appliedMs = Math.round(performance.now() - sentAt);
      if ((answers['echo-v2'] ?? 0) === 20) break;
      assert.ok(performance.now() - sentAt < 10_000, `RPCs never all reached echo-v2 within 10 s: ${JSON.stringify(answers)}`);
    }
    const liveMs = Math.round(performance.now() - sentAt);
    assert.ok(liveMs < 5000, `webhook → every RPC on v2 took ${liveMs} ms (bound 5000 ms)`);
    assert.equal(await echoCalls(f, 100, 'after the push'), { 'echo-v2': 100 }, 'after the push, echo goes to v2 only');

    const st = await status(f);
    assert.is(st.state, 'serving');
    assert.is(st.live?.commit, commit, 'status live.commit is the pushed commit');
    assert.is(st.lastSeen?.commit, commit);
    assert.is(st.rejected, null);
    assert.is((await snapshot(f)).commit, commit);

    const applied = (await appliedLog(f)).find((e) => e.event === 'applied' && e.commit === commit);
    assert.ok(applied && applied.event === 'applied', 'an applied entry for the pushed commit');
    assert.equal(applied.author && { name: applied.author.name, email: applied.author.email }, { name: 'Test Author', email: 'author@example.test' });
    assert.is(applied.subject, 'route echo to v2');
    assert.is(applied.trigger, 'webhook');
    assert.ok(Object.keys(applied.changed).includes(NODE_ID), `the client is among the changed proxies: ${JSON.stringify(Object.keys(applied.changed))}`);
    const live = await eventually('a live entry for the pushed commit', async () => {
      const entry = (await appliedLog(f)).find((e) => e.event === 'live' && e.commit === commit);
      assert.ok(entry && entry.event === 'live', 'no live entry yet');
      return entry;
    });
    assert.equal(live.proxies[NODE_ID], { state: 'Acked' }, `the client ACKed the commit: ${JSON.stringify(live.proxies)}`);
    assert.ok(live.acked >= 1 && live.nacked === 0 && live.pending === 0, JSON.stringify(live));
    report(`webhook → all RPCs on v2 in ${liveMs} ms (${batches} batches of 20; status live.commit seen at ${appliedMs} ms); live entry ${JSON.stringify({ acked: live.acked, disconnected: live.disconnected })}`);
  } finally {
    await f.close();
  }
});

test('a commit with a schema error is not live: status shows it rejected with file and line, RPCs, xDS and the snapshot stay; the fix goes live', async () => {
  const f = await fixture({ pollMs: NO_POLL_MS, webhookSecret: SECRET });
  try {
    await eventually('the client ACKed commit A', async () => assertAcked(f));
    const before = await snapshot(f);
    const sentBefore = responses(f);
    assert.equal(await echoCalls(f, 50, 'before the bad commit'), { 'echo-v1': 50 });

    // A valid file would send echo to v2: were any of it served, the RPCs would move.
    const { commit: bad } = await pushAndNotify(f, { [ROUTE_FILE]: echoRouteYaml('v2', 'many') }, 'route echo to v2, badly');
    const st = await eventually('the bad commit rejected', async () => {
      const s = await status(f);
      assert.is(s.rejected?.commit, bad, `rejected: ${JSON.stringify(s.rejected)}`);
      return s;
    });
    assert.is(st.live?.commit, f.first, 'live.commit is still commit A');
    assert.is(st.lastSeen?.commit, bad, 'the bad commit was read');
    assert.is(st.state, 'serving', 'a rejected commit does not degrade the status');
    const diagnostics: readonly Diagnostic[] = st.rejected!.diagnostics;
    const weight = diagnostics.find((d) => d.file === ROUTE_FILE && d.line === ECHO_ROUTE_WEIGHT_LINE);
    assert.ok(weight, `a diagnostic at ${ROUTE_FILE}:${ECHO_ROUTE_WEIGHT_LINE}: ${JSON.stringify(diagnostics)}`);
    assert.is(weight.severity, 'error');
    assert.match(weight.message, /weight/);

    await sleep(300); // room for a push that must not come
    assert.equal(await snapshot(f), before, '/api/v1/snapshot (commit and versions) unchanged');
    assert.equal(responses(f), sentBefore, 'no xDS response went to the client');
    assertAcked(f);
    assert.equal(await echoCalls(f, 100, 'after the bad commit'), { 'echo-v1': 100 }, 'RPCs still on v1');
    const rejected = (await appliedLog(f)).find((e) => e.event === 'rejected' && e.commit === bad);
    assert.ok(rejected && rejected.event === 'rejected', 'a rejected entry in the applied log');
    assert.ok(
      rejected.diagnostics.some((d) => d.includes(`${ROUTE_FILE}:${ECHO_ROUTE_WEIGHT_LINE}:`)),
      `the log names the file and line: ${JSON.stringify(rejected.diagnostics)}`,
    );
    assert.is(rejected.subject, 'route echo to v2, badly');

    const { commit: fixed, sentAt } = await pushAndNotify(f, { [ROUTE_FILE]: echoRouteYaml('v2') }, 'route echo to v2, fixed');
    await eventually('the fix live', async () => {
      const s = await status(f);
      assert.is(s.live?.commit, fixed, `status: ${JSON.stringify(s)}`);
      assert.is(s.rejected, null, 'the rejection is cleared once a newer commit is live');
    });
    await eventually('RPCs on v2 after the fix', async () => assert.equal(await echoCalls(f, 50, 'after the fix'), { 'echo-v2': 50 }));
    const after = await snapshot(f);
    assert.is(after.commit, fixed);
    assert.not.equal(after.proxies[NODE_ID]?.versions, before.proxies[NODE_ID]?.versions, 'the fix changed the client’s versions');
    report(`bad commit ${bad.slice(0, 8)} rejected (${weight.code} ${weight.file}:${weight.line}:${weight.column}), 0 responses to the client; fix live and on v2 ${Math.round(performance.now() - sentAt)} ms after its webhook`);
  } finally {
    await f.close();
  }
});

test('webhook HMAC: a wrong or missing signature is refused (401) and fetches nothing; the right one is accepted (202) and fetches; no secret → 404', async () => {
  const f = await fixture({ pollMs: NO_POLL_MS, webhookSecret: SECRET, client: false });
  let bare: Serving | undefined;
  try {
    const next = await f.repo.commit({ [ROUTE_FILE]: echoRouteYaml('v2') }, 'route echo to v2');
    await f.repo.push();
    const seenBefore = (await status(f)).lastSeen;
    f.git.resetLog();
    const refusals: [string, WebhookSigning][] = [
      ['signed with another secret', { secret: 'not-the-secret' }],
      ['a malformed signature', { signature: 'sha256=abc' }],
      ['no signature', 'unsigned'],
    ];
    for (const [what, signing] of refusals) {
      const hook = await postPushWebhook(f.admin, { after: next, signing });
      assert.is(hook.status, 401, `${what}: ${JSON.stringify(hook.body)}`);
      assert.is((hook.body as { error?: { code?: string } }).error?.code, 'Unauthorized', what);
    }
    await sleep(500); // a fetch, had one started, would have reached the Git server by now
    assert.equal(f.git.log, [], 'the refused deliveries made no request to the Git server');
    const refused = await status(f);
    assert.equal(refused.lastSeen, seenBefore, 'nothing was fetched');
    assert.is(refused.live?.commit, f.first, 'the pushed commit is not live');

    const hook = await postPushWebhook(f.admin, { after: next, signing: { secret: SECRET } });
    assert.is(hook.status, 202, JSON.stringify(hook.body));
    assert.equal(hook.body, { event: 'push', delivery: (hook.body as { delivery: string }).delivery, ref: 'refs/heads/main', after: next, accepted: true });
    await eventually('the signed delivery fetched and applied the commit', async () => {
      assert.is((await status(f)).live?.commit, next);
    });
    const requests = f.git.log.map((r) => `${r.method} ${r.path} ${r.status}`);
    assert.ok(requests.includes('GET /policies.git/info/refs 200'), `the ref advertisement was fetched: ${JSON.stringify(requests)}`);
    assert.ok(requests.includes('POST /policies.git/git-upload-pack 200'), `the pack was fetched: ${JSON.stringify(requests)}`);

    // Without a secret configured, the endpoint does not exist, signed or not.
    bare = await startServing({ repo: f.repo.url, ref: 'main', xdsPort: 0, host: '127.0.0.1', httpPort: 0, pollMs: NO_POLL_MS });
    const bareAdmin = `http://${bare.admin!.address}`;
    f.git.resetLog();
    for (const signing of [{ secret: SECRET }, 'unsigned'] as const) {
      const answer = await postPushWebhook(bareAdmin, { after: next, signing });
      assert.is(answer.status, 404, JSON.stringify(answer.body));
    }
    await sleep(300);
    assert.equal(f.git.log, [], 'a 404 delivery fetches nothing');
    report(`401 ×3 with 0 Git requests; 202 then ${requests.length} Git requests (${requests.join(', ')}); no secret → 404`);
  } finally {
    await bare?.close();
    await f.close();
  }
});

test('the remote goes down (refused, then 503): status degraded with lastError, /readyz 200, RPCs served; back up, a push goes live at the next poll', async () => {
  const f = await fixture({ pollMs: 300 });
  try {
    await eventually('the client ACKed commit A', async () => assertAcked(f));
    const before = await snapshot(f);
    const sentBefore = responses(f);
    for (const mode of ['refuse', '503'] as const) {
      await f.git.down(mode);
      try {
        const degraded = await eventually(`degraded while the Git server is down (${mode})`, async () => {
          const s = await status(f);
          assert.is(s.state, 'degraded', JSON.stringify(s));
          assert.ok(s.lastError, 'lastError is set');
          return s;
        });
        assert.is(degraded.lastError?.code, 'RemoteUnavailable', JSON.stringify(degraded.lastError));
        if (mode === '503') assert.match(degraded.lastError!.message, /HTTP 503/);
        assert.is(degraded.live?.commit, f.first, 'live.commit unchanged');
        assert.is((await fetch(`${f.admin}/readyz`)).status, 200, '/readyz stays 200 while degraded');
        assert.equal(await echoCalls(f, 100, `while the Git server is down (${mode})`), { 'echo-v1': 100 });
        assert.equal(await snapshot(f), before, 'the snapshot is unchanged');
        report(`remote down (${mode}): ${degraded.lastError!.code}: ${degraded.lastError!.message}`);
      } finally {
        await f.git.up();
      }
      await eventually(`serving again once the Git server is up (after ${mode})`, async () => {
        const s = await status(f);
        assert.is(s.state, 'serving', JSON.stringify(s));
        assert.is(s.lastError, null);
      });
    }
    assert.equal(responses(f), sentBefore, 'the failed polls pushed nothing to the client');

    const next = await f.repo.commit({ [ROUTE_FILE]: echoRouteYaml('v2') }, 'route echo to v2');
    await f.repo.push();
    const pushedAt = performance.now();
    await eventually('the commit pushed after the outage goes live at a poll', async () => {
      const s = await status(f);
      assert.is(s.live?.commit, next, JSON.stringify(s));
      assert.is(s.state, 'serving');
    });
    await eventually('RPCs on v2', async () => assert.equal(await echoCalls(f, 50, 'after the outage'), { 'echo-v2': 50 }));
    const polled = (await appliedLog(f)).find((e) => e.event === 'applied' && e.commit === next);
    assert.ok(polled && polled.event === 'applied' && polled.trigger === 'poll', `applied by a poll: ${JSON.stringify(polled)}`);
    report(`after the outage: push → live and RPCs on v2 in ${Math.round(performance.now() - pushedAt)} ms (poll 300 ms)`);
  } finally {
    await f.close();
  }
});

test.run();
