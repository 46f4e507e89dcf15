// `gitmesh serve` SIGKILLed during a reconcile and restarted on the same ports and state dir while
// the Git server is down: it serves the state dir's snapshot at once (/readyz 200 on its first
// answer), the same versions, with no push to a client that holds them, RPCs keep working, and it
// catches up with the branch once the Git server is back. Real parts: the built CLI as a process,
// git http-backend, a proxyless grpc-js client (driver process), grpc-js echo backends.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ProxyJson, SnapshotJson } from '../../src/reconcile/admin.js';
import type { StatusJson } from '../../src/reconcile/reconciler.js';
import { StateDir, type StoredSnapshot } from '../../src/reconcile/state-dir.js';
import { PUSH_ORDER, RESOURCE_KEYS } from '../../src/xds/type-urls.js';
import { builtCli } from '../cli/binary.js';
import { startGitServer, type GitServer } from '../helpers/git-server.js';
import {
  bootstrapFor,
  echoRouteYaml,
  eventually,
  freePort,
  getJson,
  GRPC_JS_XDS_DRIVER,
  postPushWebhook,
  startBackend,
  startDriver,
  writePolicyFolder,
  type Backend,
  type Driver,
} from './harness.js';

const SECRET = 'gitops-restart-webhook-secret';
const CLIENT = 'client-1';
const NODE_ID = `default.${CLIENT}`;
const ECHO = 'xds:///echo';
const ROUTE_FILE = 'policies/route.yaml';
/** The types a proxyless gRPC client subscribes to, keyed as the admin API keys them. */
const CLIENT_KEYS = ['listeners', 'routes', 'clusters', 'endpoints'] as const;
type ClientKey = (typeof CLIENT_KEYS)[number];

const report = (line: string) => console.log(`  gitops-restart: ${line}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A running `gitmesh serve` process: its output, waits on it, and SIGKILL. */
interface ServeProcess {
  readonly pid: number | undefined;
  readonly stdout: string;
  readonly stderr: string;
  /** Waits (at most 20 s) until `pattern` shows in the stream. */
  until(pattern: RegExp, stream: 'stdout' | 'stderr'): Promise<void>;
  /** SIGKILLs the process the moment `pattern` shows in stderr written from now on (synchronously, in the data event). */
  killOnStderr(pattern: RegExp): void;
  /** SIGKILLs now (if still running) and resolves once it exited. */
  kill(): Promise<void>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function serveProcess(args: readonly string[]): ServeProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', GITMESH_LOG_FORMAT: 'json', GITMESH_LOG_LEVEL: 'info', GITMESH_WEBHOOK_SECRET: SECRET };
  for (const name of ['GITMESH_REPO', 'GITMESH_REF', 'GITMESH_STATE_DIR', 'GITMESH_POLL', 'GITMESH_GIT_TOKEN']) delete env[name];
  const child: ChildProcess = spawn(process.execPath, [builtCli(), 'serve', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let trap: { pattern: RegExp; from: number } | undefined;
  child.stdout!.on('data', (chunk: Buffer) => void (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (trap && trap.pattern.test(stderr.slice(trap.from))) {
      trap = undefined;
      child.kill('SIGKILL');
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  let running = true;
  void exited.then(() => (running = false));
  return {
    pid: child.pid,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    async until(pattern, stream) {
      const deadline = Date.now() + 20_000;
      while (!pattern.test(stream === 'stdout' ? stdout : stderr)) {
        if (!running) throw new Error(`gitmesh serve exited before ${pattern} showed in ${stream}:\n${stdout}\n${stderr}`);
        if (Date.now() > deadline) throw new Error(`no ${pattern} in ${stream} within 20 s:\n${stdout}\n${stderr}`);
        await sleep(20);
      }
    },
    killOnStderr(pattern) {
      trap = { pattern, from: stderr.length };
    },
    async kill() {
      if (running) child.kill('SIGKILL');
      await exited;
    },
    exited,
  };
}

/** The stored snapshot's versions of the client, keyed as the admin API keys them. */
function storedVersions(stored: StoredSnapshot): Record<string, string> {
  const proxy = stored.proxies.get(NODE_ID);
  assert.ok(proxy, `snapshot.json holds ${NODE_ID}`);
  return Object.fromEntries(PUSH_ORDER.map((type) => [RESOURCE_KEYS[type], proxy.snapshot.versions[type]]));
}

/** Where the kill is aimed. */
type KillPoint =
  /** the moment the webhook's 202 arrives: the fetch it started is in flight */
  | 'on the 202'
  /** the moment "revision applied" is logged: snapshot.json and the applied entry are written, the push to the client is queued */
  | 'on "revision applied"'
  /** once "revision live" is logged (the client ACKed the commit) and the old process's /api/v1/proxies was read */
  | 'after "revision live"';

test('SIGKILL during a reconcile, restart with the Git server down: the state dir is served at once, same versions, no push to a client that holds them; it catches up once the remote is back', async () => {
  const owned: { git?: GitServer; backends: Backend[]; stateDir?: string; proc?: ServeProcess; driver?: Driver } = { backends: [] };
  try {
    const git = (owned.git = await startGitServer());
    owned.backends.push(await startBackend({ name: 'echo-v1', service: 'echo', tags: { version: 'v1' } }));
    owned.backends.push(await startBackend({ name: 'echo-v2', service: 'echo', tags: { version: 'v2' } }));
    const repo = await git.createRepo('policies');
    await writePolicyFolder(repo.dir, { backends: owned.backends, clientName: CLIENT }, []);
    let live = await repo.commit({ [ROUTE_FILE]: echoRouteYaml('v1') }, 'route echo to v1');
    await repo.push();
    const stateDir = (owned.stateDir = await mkdtemp(join(tmpdir(), 'gitmesh-gitops-restart-')));
    const xdsPort = await freePort();
    const httpPort = await freePort();
    const admin = `http://127.0.0.1:${httpPort}`;
    const args = (poll: string) => ['--repo', repo.url, '--ref', 'main', '--state-dir', stateDir, '--host', '127.0.0.1', '--xds-port', String(xdsPort), '--http-port', String(httpPort), '--poll', poll, '--no-watch'];

    // The first process polls once an hour: only the webhook starts the reconcile that is killed.
    owned.proc = serveProcess(args('1h'));
    await owned.proc.until(/admin HTTP on http:\/\/127\.0\.0\.1:\d+/, 'stdout');
    assert.match(owned.proc.stdout, new RegExp(`xDS \\(ADS, SotW and Delta, insecure\\) on 127\\.0\\.0\\.1:${xdsPort}`));
    assert.is((await getJson<StatusJson>(`${admin}/api/v1/status`)).live?.commit, live);

    const driver = (owned.driver = await startDriver(GRPC_JS_XDS_DRIVER, bootstrapFor(`127.0.0.1:${xdsPort}`, NODE_ID)));
    const echo = async (n: number, what: string) => {
      const result = await driver.call({ target: ECHO, n, timeoutMs: 5000 });
      assert.equal(result.codes, { OK: n }, `${what}: codes ${JSON.stringify(result.codes)}, details ${JSON.stringify(result.details)}`);
      return result.answers;
    };
    assert.equal((await driver.call({ target: ECHO, n: 1, timeoutMs: 15_000, waitForReady: true })).codes, { OK: 1 }, 'the first RPC');
    assert.equal(await echo(50, 'before any kill'), { 'echo-v1': 50 });

    /** The client's entry in /api/v1/proxies once every type it subscribes to is ACKed at what was last sent. */
    const settled = (what: string) =>
      eventually(what, async () => {
        const proxies = await getJson<ProxyJson[]>(`${admin}/api/v1/proxies`);
        const client = proxies.find((p) => p.id === NODE_ID);
        assert.ok(client?.connected, `${NODE_ID} connected: ${JSON.stringify(client)}`);
        for (const key of CLIENT_KEYS) {
          const v = client.versions[key];
          assert.ok(v.acked !== null && v.acked === v.sent, `${key}: ${JSON.stringify(v)}`);
        }
        return client;
      });
    /** settled, and still the same (no response went out meanwhile) 300 ms later: the pushes of a change come in a burst. */
    const quiet = (what: string) =>
      eventually(
        what,
        async () => {
          const first = await settled(what);
          await sleep(300);
          assert.equal(await settled(what), first, 'the client’s entry changed within 300 ms');
          return first;
        },
        20_000,
      );
    let held = await quiet('the client ACKed the first commit');

    const points: readonly KillPoint[] = ['on the 202', 'on "revision applied"', 'after "revision live"'];
    let version = 'v1';
    for (const [round, point] of points.entries()) {
      const proc = owned.proc;
      const servedBefore = await getJson<SnapshotJson>(`${admin}/api/v1/snapshot`);
      version = version === 'v1' ? 'v2' : 'v1';
      const logFrom = proc.stderr.length;
      // Arm the kill, push, announce the push, and wait for the process to die. (A restarted
      // process also polls: a poll may start the reconcile before the webhook does, and the kill
      // may then come before the webhook is answered.)
      if (point === 'on "revision applied"') proc.killOnStderr(/"msg":"revision applied"/);
      const next = await repo.commit({ [ROUTE_FILE]: echoRouteYaml(version) }, `route echo to ${version}`);
      await repo.push();
      const hook = await postPushWebhook(admin, { after: next, signing: { secret: SECRET } }).catch((error: unknown) => error as Error);
      if (point === 'on the 202') await proc.kill();
      if (hook instanceof Error) assert.ok(point === 'on "revision applied"' && !(await isRunning(proc)), `the webhook failed: ${hook.message}`);
      else assert.is(hook.status, 202, JSON.stringify(hook.body));
      let heldAtKill: ProxyJson | undefined;
      if (point === 'after "revision live"') {
        await proc.until(/"msg":"revision live"/, 'stderr');
        heldAtKill = await quiet('the client ACKed the new commit before the kill');
        await proc.kill();
      }
      const exit = await Promise.race([proc.exited, sleep(20_000).then(() => undefined)]);
      assert.equal(exit, { code: null, signal: 'SIGKILL' }, `killed ${point}`);
      const roundLog = proc.stderr.slice(logFrom);
      const loggedApplied = /"msg":"revision applied"/.test(roundLog);
      const loggedLive = /"msg":"revision live"/.test(roundLog);
      const trigger = /"trigger":"(\w+)"[^\n]*"msg":"revision applied"/.exec(roundLog)?.[1];

      // The remote goes down: the restart can only serve what the state dir holds.
      await git.down('refuse');
      const stored = await new StateDir(stateDir).loadSnapshot();
      assert.ok(stored, 'snapshot.json is readable after the SIGKILL');
      assert.ok(stored.commit === live || stored.commit === next, `snapshot.json holds the last commit or the new one, not ${stored.commit}`);
      if (point !== 'on the 202') assert.is(stored.commit, next, 'snapshot.json is written before "revision applied" is logged (write ahead)');
      const fromState = storedVersions(stored);
      if (stored.commit === live) assert.equal(fromState, servedBefore.proxies[NODE_ID]?.versions, 'snapshot.json still holds what was served');
      // What the client holds is known when the state dir kept the commit it had ACKed, or when it ACKed the new one before the kill.
      const clientHeld = stored.commit === live ? held : heldAtKill;

      await echo(50, 'while gitmesh is down');
      // RPCs run from here until the client settled on the restarted server.
      const traffic = keepCalling(driver);
      const restartedAt = performance.now();
      const restarted = (owned.proc = serveProcess(args('500ms')));
      let readyMs: number | undefined;
      for (;;) {
        const answer = await fetch(`${admin}/readyz`).then(
          (res) => res.status,
          () => undefined,
        );
        if (answer !== undefined) {
          assert.is(answer, 200, 'the first answer of /readyz after the restart is 200: the state dir is served before the admin port opens');
          readyMs = Math.round(performance.now() - restartedAt);
          break;
        }
        assert.ok(performance.now() - restartedAt < 20_000, `the restarted admin API never answered:\n${restarted.stderr}`);
        await sleep(10);
      }
      const served = await getJson<SnapshotJson>(`${admin}/api/v1/snapshot`);
      assert.is(served.commit, stored.commit, 'the restart serves the state dir’s commit');
      assert.equal(served.proxies[NODE_ID]?.versions, fromState, 'the restart serves snapshot.json’s versions');
      await restarted.until(/admin HTTP on/, 'stdout');
      assert.match(restarted.stderr, /serving the last good snapshot from the state dir/);
      const degraded = await eventually('degraded: the first fetch fails', async () => {
        const s = await getJson<StatusJson>(`${admin}/api/v1/status`);
        assert.is(s.state, 'degraded', JSON.stringify(s));
        return s;
      });
      assert.is(degraded.live?.commit, stored.commit);

      const back = await settled('the client back on the restarted server');
      const reconnectMs = Math.round(performance.now() - restartedAt);
      const after = await quiet('the client settled on the restarted server');
      const pushed = Object.fromEntries(CLIENT_KEYS.map((key) => [key, after.versions[key].responses]));
      const during = await traffic.stop();
      if (clientHeld) {
        assert.is(during.failed, 0, `RPCs failed across the restart of a control plane serving what the client holds: ${JSON.stringify(during)}`);
        for (const key of CLIENT_KEYS) {
          assert.is(back.versions[key].acked, clientHeld.versions[key].acked, `${key}: the client kept the version it held`);
          // `quiet` waited 300 ms more: room for a push that must not come.
          assert.is(after.versions[key].responses, 0, `${key}: pushed to a client that held the served version: ${JSON.stringify(after.versions[key])}`);
        }
      }
      const storedVersion = stored.commit === next ? version : version === 'v1' ? 'v2' : 'v1';
      assert.equal(await echo(50, 'after the restart'), { [`echo-${storedVersion}`]: 50 }, 'RPCs follow the state dir’s commit');

      // The remote is back: the next poll brings the branch tip.
      await git.up();
      const upAt = performance.now();
      await eventually('the restarted server reaches the branch tip', async () => {
        const s = await getJson<StatusJson>(`${admin}/api/v1/status`);
        assert.ok(s.state === 'serving' && s.live?.commit === next && s.lastError === null, JSON.stringify(s));
      });
      await eventually(`RPCs on ${version}`, async () => assert.equal(await echo(50, 'after catching up'), { [`echo-${version}`]: 50 }));
      held = await quiet('the client ACKed the branch tip');
      const catchUpMs = Math.round(performance.now() - upAt);
      if (stored.commit === next) for (const key of CLIENT_KEYS) assert.is(held.versions[key].responses, pushed[key], `${key}: catching up with the commit already served pushed nothing`);
      const landed = stored.commit === next ? 'the new commit' : 'the last commit';
      // Reported, not asserted: a `live` entry is written only by the process that applied the
      // commit, so a kill during its wait for ACKs leaves the commit without one (see the report).
      const liveEntry = (await new StateDir(stateDir).log()).some((e) => e.event === 'live' && e.commit === next);
      report(
        `round ${round + 1}, killed ${point} (old process logged: applied ${loggedApplied}${trigger ? ` by ${trigger}` : ''}, live ${loggedLive}): snapshot.json held ${landed}; ` +
          `restart /readyz 200 at ${readyMs} ms, client back at ${reconnectMs} ms with responses ${JSON.stringify(pushed)}${clientHeld ? ' (it held those versions)' : ''}; RPCs across the restart ${during.ok} OK, ${during.failed} failed${during.failed > 0 ? ` ${JSON.stringify(during.details)}` : ''}; caught up ${catchUpMs} ms after the remote came back; live entry for it: ${liveEntry}`,
      );
      live = next;
    }
  } finally {
    await owned.driver?.close();
    await owned.proc?.kill();
    await owned.git?.up().catch(() => undefined);
    for (const backend of owned.backends) backend.close();
    await owned.git?.close();
    if (owned.stateDir) await rm(owned.stateDir, { recursive: true, force: true });
  }
});

/** Batches of 20 RPCs to xds:///echo, 10 ms apart, until `stop`, which resolves with the tally. */
function keepCalling(driver: Driver): { stop(): Promise<{ ok: number; failed: number; details: Record<string, string> }> } {
  const tally = { ok: 0, failed: 0, details: {} as Record<string, string> };
  let running = true;
  const loop = (async () => {
    while (running) {
      const result = await driver.call({ target: ECHO, n: 20, timeoutMs: 5000 });
      for (const [code, n] of Object.entries(result.codes)) {
        if (code === 'OK') tally.ok += n;
        else tally.failed += n;
      }
      Object.assign(tally.details, result.details);
      await sleep(10); // leave CPU to the restarting process
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return tally;
    },
  };
}

/** Whether the process is still running, after a moment for its exit to be seen. */
async function isRunning(proc: ServeProcess): Promise<boolean> {
  return Promise.race([proc.exited.then(() => false), sleep(2000).then(() => true)]);
}

test.run();
