// The reconcile loop over a real local git repository: apply, reject, coalesce, and restart from the state dir.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Reconciler, type ReconcileResult } from '../../src/reconcile/reconciler.js';
import { sourceFor, type RevisionSource } from '../../src/reconcile/sources.js';
import { StateDir } from '../../src/reconcile/state-dir.js';
import { SnapshotCache } from '../../src/xds/cache.js';
import { BASE_MESH, backendTimeout, CLIENT_OF_BACKEND } from '../helpers/cli.js';

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Ada', '-c', 'user.email=ada@example.com', '-c', 'init.defaultBranch=main', ...args], { cwd: dir, encoding: 'utf8' }).trim();
}

async function commit(dir: string, files: Record<string, string>, message: string): Promise<string> {
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', message);
  return git(dir, 'rev-parse', 'HEAD');
}

async function repo(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gitmesh-reconcile-'));
  git(dir, 'init', '-q');
  await commit(dir, { 'mesh.yaml': BASE_MESH, 'client.yaml': CLIENT_OF_BACKEND }, 'a mesh');
  return dir;
}

test('a good commit is applied, a commit with errors is rejected and changes nothing, a fix is applied', async () => {
  const dir = await repo();
  const cache = new SnapshotCache();
  const reconciler = new Reconciler({ source: sourceFor(dir), cache });
  try {
    const first = await reconciler.run('start');
    assert.is(first.outcome, 'applied');
    assert.equal(first.changed, ['default.backend-1', 'default.client-1']);
    const before = cache.get('default.client-1')!.snapshot.versions;
    const badCommit = await commit(dir, { 'timeout.yaml': backendTimeout('"not a duration"') }, 'a bad timeout');
    const bad = await reconciler.run('poll');
    assert.is(bad.outcome, 'rejected');
    assert.is(bad.commit, badCommit);
    assert.ok(bad.diagnostics.some((d) => d.file === 'timeout.yaml' && d.line > 0), JSON.stringify(bad.diagnostics));
    assert.equal(cache.get('default.client-1')!.snapshot.versions, before, 'nothing of the bad commit is served');
    const status = reconciler.status();
    assert.is(status.rejected?.commit, badCommit);
    assert.is(status.live?.commit, first.commit);
    assert.is(status.state, 'serving');
    // the same bad commit again is not compiled again
    assert.is((await reconciler.run('poll')).outcome, 'unchanged');
    await commit(dir, { 'timeout.yaml': backendTimeout('5s') }, 'a good timeout');
    const fixed = await reconciler.run('poll');
    assert.is(fixed.outcome, 'applied');
    assert.equal(fixed.changed, ['default.client-1'], 'only the proxy with the backend as destination changes');
    assert.is(reconciler.status().rejected, null);
  } finally {
    await reconciler.close();
    await rm(dir, { recursive: true, force: true });
  }
});

test('triggers during a run coalesce into one more run', async () => {
  const dir = await repo();
  let fetches = 0;
  const inner = sourceFor(dir);
  const source: RevisionSource = { ...inner, fetch: async (cache) => (fetches++, inner.fetch(cache)) };
  const reconciler = new Reconciler({ source, cache: new SnapshotCache() });
  try {
    const runs: Promise<ReconcileResult>[] = [reconciler.run('start')];
    for (let i = 0; i < 10; i++) runs.push(reconciler.run(`webhook-${i}`));
    const results = await Promise.all(runs);
    assert.is(fetches, 2, 'one run, then one for the burst');
    assert.is(results[1], results[10], 'the burst shares one result');
    assert.match(results[1]!.trigger, /webhook-0\+webhook-1/);
  } finally {
    await reconciler.close();
  }
});

test('a source that fails degrades the status and keeps the last good snapshot; it recovers on the next run', async () => {
  const dir = await repo();
  let down = false;
  const inner = sourceFor(dir);
  const source: RevisionSource = {
    ...inner,
    fetch: async (cache) => {
      if (down) throw Object.assign(new Error('connection refused'), { code: 'RemoteUnavailable' });
      return inner.fetch(cache);
    },
  };
  const cache = new SnapshotCache();
  const reconciler = new Reconciler({ source, cache });
  try {
    await reconciler.run('start');
    down = true;
    const failed = await reconciler.run('poll');
    assert.is(failed.outcome, 'failed');
    assert.is(reconciler.status().state, 'degraded');
    assert.match(reconciler.status().lastError?.message ?? '', /connection refused/);
    assert.ok(cache.get('default.client-1'), 'still served');
    down = false;
    assert.is((await reconciler.run('poll')).outcome, 'unchanged');
    assert.is(reconciler.status().state, 'serving');
    assert.is(reconciler.status().lastError, null);
  } finally {
    await reconciler.close();
  }
});

test('the state dir: a restart serves the same versions before any fetch; the log records applied and rejected commits', async () => {
  const dir = await repo();
  const state = await mkdtemp(join(tmpdir(), 'gitmesh-state-'));
  const one = new Reconciler({ source: sourceFor(dir), cache: new SnapshotCache(), stateDir: new StateDir(state) });
  const applied = await one.run('start');
  await commit(dir, { 'timeout.yaml': backendTimeout('nope') }, 'bad');
  await one.run('poll');
  await one.close();
  const served = new SnapshotCache();
  const unreachable: RevisionSource = { description: 'nowhere', versioned: true, fetch: () => Promise.reject(new Error('not yet')), read: () => Promise.reject(new Error('not yet')) };
  const two = new Reconciler({ source: unreachable, cache: served, stateDir: new StateDir(state) });
  const restored = await two.restore();
  assert.equal(restored, { commit: applied.commit, proxies: 2 });
  assert.ok(two.ready());
  const fresh = new SnapshotCache();
  const three = new Reconciler({ source: sourceFor(dir, { ref: applied.commit! }), cache: fresh });
  await three.run('start');
  for (const id of ['default.backend-1', 'default.client-1']) assert.equal(served.get(id)?.snapshot.versions, fresh.get(id)?.snapshot.versions, `${id}: same versions after a restart`);
  const log = await new StateDir(state).log();
  assert.equal(log.map((e) => e.event), ['applied', 'rejected']);
  const first = log[0]!;
  assert.ok(first.event === 'applied' && Object.keys(first.changed).length === 2 && first.commit === applied.commit, JSON.stringify(first));
  await two.close();
  await three.close();
  await rm(state, { recursive: true, force: true });
});

test('the state dir: a torn last log line is skipped; a tampered snapshot is refused, not half-used', async () => {
  const state = await mkdtemp(join(tmpdir(), 'gitmesh-state-'));
  const dir = await repo();
  const stateDir = new StateDir(state);
  await new Reconciler({ source: sourceFor(dir), cache: new SnapshotCache(), stateDir }).run('start');
  await writeFile(stateDir.logPath, (await readFile(stateDir.logPath, 'utf8')) + '{"event":"applied","ti');
  assert.is((await stateDir.log()).length, 1);
  const text = await readFile(stateDir.snapshotPath, 'utf8');
  await writeFile(stateDir.snapshotPath, text.replace('"appliedAt":"', '"appliedAt":"1'));
  try {
    await stateDir.loadSnapshot();
    assert.unreachable('a tampered snapshot must be refused');
  } catch (error) {
    assert.match((error as Error).message, /checksum mismatch/);
  }
  await rm(state, { recursive: true, force: true });
});

test('a state dir that cannot be written degrades the status, and the commit is still served', async () => {
  const dir = await repo();
  const parent = await mkdtemp(join(tmpdir(), 'gitmesh-state-'));
  const blocked = join(parent, 'state');
  // A file where the state dir should be: it cannot be written, even by root.
  await writeFile(blocked, 'not a directory');
  const cache = new SnapshotCache();
  const reconciler = new Reconciler({ source: sourceFor(dir), cache, stateDir: new StateDir(blocked) });
  const result = await reconciler.run('start');
  assert.is(result.outcome, 'applied');
  assert.ok(cache.get('default.client-1'));
  assert.is(reconciler.status().state, 'degraded');
  assert.is(reconciler.status().lastError?.code, 'StateDir');
  await reconciler.close();
  await rm(parent, { recursive: true, force: true });
});

test('a commit rolled back before a restart is not applied again after it', async () => {
  const dir = await repo();
  const state = await mkdtemp(join(tmpdir(), 'gitmesh-state-'));
  const first = new Reconciler({ source: sourceFor(dir), cache: new SnapshotCache(), stateDir: new StateDir(state) });
  const a = await first.run('start');
  await first.close();
  const b = await commit(dir, { 'timeout.yaml': backendTimeout('5s') }, 'a timeout the proxies refused');
  await new StateDir(state).append({ event: 'rollback', time: '2026-01-01T00:00:00.000Z', commit: b, to: a.commit, reason: 'default.client-1 NACKed it', proxies: ['default.client-1'] });
  const restarted = new Reconciler({ source: sourceFor(dir), cache: new SnapshotCache(), stateDir: new StateDir(state) });
  try {
    await restarted.restore();
    assert.is((await restarted.run('start')).outcome, 'unchanged');
    assert.is(restarted.status().live?.commit, a.commit);
    assert.is(restarted.status().rolledBack?.commit, b);
  } finally {
    await restarted.close();
    await rm(state, { recursive: true, force: true });
  }
});

test('a git revert reuses the snapshots of the revision it restores (no read, no compile) and is recorded as a revert', async () => {
  const dir = await repo();
  const state = await mkdtemp(join(tmpdir(), 'gitmesh-state-'));
  let reads = 0;
  const inner = sourceFor(dir);
  const source: RevisionSource = { ...inner, read: async (commit, cache) => (reads++, inner.read(commit, cache)) };
  const cache = new SnapshotCache();
  const reconciler = new Reconciler({ source, cache, stateDir: new StateDir(state) });
  try {
    const a = await reconciler.run('start');
    const before = cache.get('default.client-1')!.snapshot;
    const b = await commit(dir, { 'timeout.yaml': backendTimeout('5s') }, 'a 5s timeout');
    assert.is((await reconciler.run('poll')).outcome, 'applied');
    git(dir, 'revert', '--no-edit', 'HEAD');
    const readsBefore = reads;
    const reverted = await reconciler.run('poll');
    assert.is(reverted.outcome, 'applied');
    assert.equal(reverted.revertOf, [b]);
    assert.is(reads, readsBefore, 'the reverted tree is neither read nor compiled');
    assert.is(cache.get('default.client-1')!.snapshot, before, 'the very snapshot of the first commit is served again');
    assert.equal(reverted.changed, ['default.client-1']);
    console.log(`  revert → published in ${reverted.ms.toFixed(1)} ms (first commit: ${a.ms.toFixed(1)} ms)`);
    const log = await new StateDir(state).log();
    const entry = log.at(-1)!;
    assert.ok(entry.event === 'applied' && entry.revertOf?.[0] === b && entry.subject?.startsWith('Revert'), JSON.stringify(entry));
  } finally {
    await reconciler.close();
    await rm(state, { recursive: true, force: true });
  }
});

test.run();
