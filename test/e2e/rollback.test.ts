// NACK rollback (DESIGN §7) with a real proxyless client (grpc-js-xds): a valid commit the client rejects
// is taken back at once, the client never loses service, the commit is not retried, and the audit says why.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startServing, type Serving } from '../../src/reconcile/serve.js';
import { bootstrapFor, eventually, startBackend, startDriver, writePolicyFolder, type Backend, type Driver, type ResourceDoc } from './harness.js';

const NODE_ID = 'default.client-1';
const DRIVER = { command: process.execPath, args: ['--import', 'tsx', fileURLToPath(new URL('./drivers/grpc-js-xds-driver.ts', import.meta.url))] };

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Ada', '-c', 'user.email=ada@example.com', '-c', 'init.defaultBranch=main', ...args], { cwd: dir, encoding: 'utf8' }).trim();
}

const policy = (type: string, name: string, to: ResourceDoc): ResourceDoc => ({ type, name, mesh: 'default', spec: { targetRef: { kind: 'Mesh' }, to: [to] } });
const leastRequest = policy('MeshLoadBalancingStrategy', 'echo-lb', { targetRef: { kind: 'MeshService', name: 'echo' }, default: { loadBalancer: { type: 'LeastRequest' } } });
const timeout = policy('MeshTimeout', 'echo-timeout', { targetRef: { kind: 'MeshService', name: 'echo' }, default: { http: { requestTimeout: '10s' } } });

test('a commit the client NACKs is rolled back: service never stops, the commit is not retried, the audit says why; a newer commit goes live', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gitmesh-rollback-'));
  const state = await mkdtemp(join(tmpdir(), 'gitmesh-rollback-state-'));
  const backends: Backend[] = [];
  let serving: Serving | undefined;
  let driver: Driver | undefined;
  try {
    backends.push(await startBackend({ name: 'echo-a', service: 'echo' }), await startBackend({ name: 'echo-b', service: 'echo' }));
    const layout = { backends, clientName: 'client-1' };
    const commit = async (policies: ResourceDoc[], message: string) => {
      await writePolicyFolder(dir, layout, policies);
      git(dir, 'add', '-A');
      git(dir, 'commit', '-q', '--allow-empty', '-m', message);
      return git(dir, 'rev-parse', 'HEAD');
    };
    git(dir, 'init', '-q');
    const good = await commit([], 'echo, plain');
    serving = await startServing({ repo: dir, xdsPort: 0, host: '127.0.0.1', stateDir: state, ref: 'main' });
    driver = await startDriver(DRIVER, bootstrapFor(serving.address, NODE_ID));
    const call = async (what: string) => {
      const result = await driver!.call({ target: 'xds:///echo', n: 50, waitForReady: true });
      assert.equal(result.codes, { OK: 50 }, `${what}: ${JSON.stringify(result.details)}`);
    };
    await call('before');
    const synced = () => serving!.ads.service.proxy(NODE_ID)?.synced === true;
    await eventually('the client ACKed the first commit', async () => assert.ok(synced()));

    const bad = await commit([leastRequest], 'echo: least request (gRPC clients do not support it)');
    const applied = await serving.reload();
    assert.is(applied.commit, bad);
    const rolledBack = await eventually('the NACKed commit is rolled back', async () => {
      await call('while the client NACKs');
      const status = serving!.status();
      assert.ok(status.rolledBack, JSON.stringify(status));
      return status;
    });
    assert.is(rolledBack.rolledBack?.commit, bad);
    assert.is(rolledBack.rolledBack?.to, good);
    assert.match(rolledBack.rolledBack?.reason ?? '', /LEAST_REQUEST/);
    assert.is(rolledBack.live?.commit, good);
    await eventually('the client is back in sync with the first commit', async () => {
      await call('after the rollback');
      assert.ok(synced(), JSON.stringify(serving!.ads.service.proxy(NODE_ID)?.streams[0]?.types.cds));
    });
    // The bad commit is still the branch tip: it is not applied again.
    const again = await serving.reload();
    assert.is(serving.status().live?.commit, good, JSON.stringify(again));
    const log = await serving.stateDir!.log();
    const rollback = log.find((e) => e.event === 'rollback');
    assert.ok(rollback && rollback.event === 'rollback' && rollback.commit === bad && rollback.to === good && rollback.proxies.includes(NODE_ID), JSON.stringify(log));
    assert.match(rollback.reason, /LEAST_REQUEST/);

    const newer = await commit([timeout], 'echo: drop least request, 10s timeout');
    assert.is((await serving.reload()).commit, newer);
    await eventually('the newer commit is ACKed', async () => {
      await call('after the newer commit');
      assert.ok(synced());
    });
    assert.is(serving.status().live?.commit, newer);
    const metrics = await serving.metrics.text();
    assert.match(metrics, /gitmesh_rollbacks_total 1/);
  } finally {
    await driver?.close();
    await serving?.close();
    for (const b of backends) b.close();
    await rm(dir, { recursive: true, force: true });
    await rm(state, { recursive: true, force: true });
  }
});

test('with rollbackCommit, the rollback is also written to the branch, and the next fetch serves it as a revert', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gitmesh-rollback-'));
  const backends: Backend[] = [];
  let serving: Serving | undefined;
  let driver: Driver | undefined;
  try {
    backends.push(await startBackend({ name: 'echo-a', service: 'echo' }));
    const layout = { backends, clientName: 'client-1' };
    git(dir, 'init', '-q');
    await writePolicyFolder(dir, layout, []);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'echo, plain');
    const good = git(dir, 'rev-parse', 'HEAD');
    serving = await startServing({ repo: dir, xdsPort: 0, host: '127.0.0.1', ref: 'main', rollbackCommit: true });
    driver = await startDriver(DRIVER, bootstrapFor(serving.address, NODE_ID));
    assert.equal((await driver.call({ target: 'xds:///echo', n: 10, waitForReady: true })).codes, { OK: 10 });
    await writePolicyFolder(dir, layout, [leastRequest]);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'echo: least request');
    const bad = git(dir, 'rev-parse', 'HEAD');
    await serving.reload();
    const tip = await eventually('the rollback commit is on the branch', async () => {
      const head = git(dir, 'rev-parse', 'main');
      assert.is.not(head, bad);
      return head;
    });
    assert.is(git(dir, 'rev-parse', `${tip}^{tree}`), git(dir, 'rev-parse', `${good}^{tree}`), 'the rollback commit restores the served tree');
    assert.match(git(dir, 'log', '-1', '--format=%B', tip), new RegExp(`Reverts ${bad}`));
    const revert = await serving.reconciler.run('poll');
    assert.is(revert.commit, tip);
    assert.equal(revert.revertOf, [bad], 'recognised as a revert of the bad commit');
    assert.is(serving.status().live?.commit, tip, 'git and the served revision agree');
    assert.equal((await driver.call({ target: 'xds:///echo', n: 10 })).codes, { OK: 10 });
  } finally {
    await driver?.close();
    await serving?.close();
    for (const b of backends) b.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
