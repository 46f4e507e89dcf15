// `gitmesh rollback`: a commit whose tree is an earlier commit's, on a local repository (work tree, bare) and pushed to a remote.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { inspect } from 'node:util';
import type { GitHttpRequest, HttpClient } from 'isomorphic-git';
import nodeHttp from 'isomorphic-git/http/node';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readCommitInfo } from '../../src/source/git.js';
import { commitsUndone, parseGitDate, PushRejectedError, rollbackBranch, rollbackMessage } from '../../src/source/write.js';
import { BASE_MESH, gitmesh } from '../helpers/cli.js';
import { startGitServer, type GitServer, type WorkClone } from '../helpers/git-server.js';

const scratch = mkdtempSync(join(tmpdir(), 'gitmesh-rollback-'));
let repos = 0;

/** Runs git with no user or system config (so no identity: gitmesh must not need one); `env` adds to it. */
function sh(cwd: string, args: string[], env: Record<string, string> = {}): string {
  return execFileSync('git', args, { cwd, env: { PATH: process.env.PATH, HOME: scratch, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', ...env } }).toString().trim();
}

const AS_ALICE = { GIT_AUTHOR_NAME: 'Alice Admin', GIT_AUTHOR_EMAIL: 'alice@example.test', GIT_COMMITTER_NAME: 'Alice Admin', GIT_COMMITTER_EMAIL: 'alice@example.test' };

/** A fresh repository with three commits: the mesh, a change to policies, then docs and a Dataplane move. */
function repository(options: { bare?: boolean } = {}) {
  const dir = join(scratch, `repo-${++repos}`);
  mkdirSync(dir);
  sh(dir, ['init', '-q', '-b', 'main']);
  const commit = (files: Record<string, string | null>, message: string, date: string) => {
    for (const [path, content] of Object.entries(files)) {
      if (content === null) rmSync(join(dir, path), { force: true });
      else {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), content);
      }
    }
    sh(dir, ['add', '-A']);
    sh(dir, ['commit', '-q', '-m', message], { ...AS_ALICE, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date });
    return sh(dir, ['rev-parse', 'HEAD']);
  };
  const c1 = commit({ 'mesh.yaml': BASE_MESH, 'policies/timeouts.yaml': 'type: MeshTimeout\nname: t\nmesh: default\nspec: {}\n', 'run.sh': '#!/bin/sh\n', 'docs/guide.md': 'guide\n' }, 'Initial mesh\n\nwith a body', '2024-05-01T10:00:00Z');
  const c2 = commit({ 'policies/timeouts.yaml': 'type: MeshTimeout\nname: t\nmesh: default\nspec: {targetRef: {kind: Mesh}}\n', 'policies/retry.yaml': 'type: MeshRetry\nname: r\nmesh: default\nspec: {}\n' }, 'Add a retry', '2024-05-02T10:00:00Z');
  const c3 = commit({ 'mesh.yaml': BASE_MESH.replace('10.0.0.1', '10.0.0.2'), 'README.md': 'docs\n', 'run.sh': null }, 'Move backend', '2024-05-03T10:00:00Z');
  if (!options.bare) return { dir, c1, c2, c3 };
  const bare = `${dir}.git`;
  sh(scratch, ['clone', '-q', '--bare', dir, bare]);
  return { dir: bare, c1, c2, c3 };
}

const tree = (dir: string, rev: string) => sh(dir, ['rev-parse', `${rev}^{tree}`]);

test('a local rollback writes a commit on main whose tree is the target\'s, with no git identity configured', async () => {
  const { dir, c1, c2, c3 } = repository();
  const run = await gitmesh(['rollback', '--repo', dir, '--to', c1.slice(0, 7)]);
  assert.is(run.code, 0, run.stderr);
  const head = sh(dir, ['rev-parse', 'main']);
  assert.is.not(head, c3);
  assert.is(tree(dir, head), tree(dir, c1), 'the tree equals the target\'s: a revert the reconciler recognises');
  assert.is(sh(dir, ['rev-parse', `${head}^`]), c3, 'its parent is the old tip: history is kept, nothing is rewritten');
  assert.is(sh(dir, ['log', '-1', '--format=%B', head]), `Rollback to ${c1.slice(0, 7)}: Initial mesh\n\nReverts ${c3}, ${c2}`);
  assert.is(sh(dir, ['log', '-1', '--format=%an <%ae> | %cn <%ce>', head]), 'gitmesh <gitmesh@gitmesh.invalid> | gitmesh <gitmesh@gitmesh.invalid>');
  // The checked-out work tree and index follow: clean, with the target's files (a deleted file restored, its mode kept).
  assert.is(sh(dir, ['status', '--porcelain']), '');
  assert.is(readFileSync(join(dir, 'mesh.yaml'), 'utf8'), BASE_MESH);
  assert.not.ok(existsSync(join(dir, 'README.md')) || existsSync(join(dir, 'policies/retry.yaml')));
  assert.ok(existsSync(join(dir, 'run.sh')));
  sh(dir, ['fsck', '--strict', '--no-progress']);
  assert.equal(run.stdout.split('\n').slice(0, 2), [`main: ${head.slice(0, 12)} Rollback to ${c1.slice(0, 7)}: Initial mesh`, `  undoes 2 commits: ${c3.slice(0, 12)}, ${c2.slice(0, 12)}`]);
  assert.match(run.stdout, 'work tree and index updated');
  // A reader of the repository (the reconciler's source) sees the same tree id.
  assert.is((await readCommitInfo(dir, 'main')).tree, (await readCommitInfo(dir, c1)).tree);
});

test('the author comes from GIT_AUTHOR_NAME/EMAIL, else the repository config; the committer is always gitmesh; dates from the env', async () => {
  const { dir, c2 } = repository();
  const env = { GIT_AUTHOR_NAME: 'Oncall Olga', GIT_AUTHOR_EMAIL: 'olga@example.test', GIT_AUTHOR_DATE: '2024-05-04T12:00:00+02:00', GIT_COMMITTER_DATE: '@1714824000 +0000' };
  const run = await gitmesh(['rollback', '--repo', dir, '--to', c2], dir, env);
  assert.is(run.code, 0, run.stderr);
  assert.is(sh(dir, ['log', '-1', '--format=%an <%ae> %aI | %cn %cI']), 'Oncall Olga <olga@example.test> 2024-05-04T12:00:00+02:00 | gitmesh 2024-05-04T12:00:00+00:00');
  const other = repository();
  sh(other.dir, ['config', 'user.name', 'Repo Config']);
  sh(other.dir, ['config', 'user.email', 'config@example.test']);
  assert.is((await gitmesh(['rollback', '--repo', other.dir, '--to', other.c1])).code, 0);
  assert.is(sh(other.dir, ['log', '-1', '--format=%an <%ae> | %cn']), 'Repo Config <config@example.test> | gitmesh');
});

test('uncommitted changes to a tracked policy file: refused (exit 1), nothing written', async () => {
  const { dir, c1, c3 } = repository();
  writeFileSync(join(dir, 'policies/timeouts.yaml'), 'edited but not committed\n');
  const run = await gitmesh(['rollback', '--repo', dir, '--to', c1]);
  assert.is(run.code, 1);
  assert.match(run.stderr, `gitmesh: rollback refused: ${dir} has uncommitted changes the rollback would lose or that are policy files: policies/timeouts.yaml; commit or stash them (git stash), then run the rollback again`);
  assert.is(sh(dir, ['rev-parse', 'main']), c3);
  assert.is(readFileSync(join(dir, 'policies/timeouts.yaml'), 'utf8'), 'edited but not committed\n');
  // Staged counts too.
  sh(dir, ['add', 'policies/timeouts.yaml']);
  assert.is((await gitmesh(['rollback', '--repo', dir, '--to', c1])).code, 1);
});

test('a dirty file the rollback does not touch is kept; an untracked file in the way refuses it', async () => {
  const { dir, c2, c3 } = repository();
  writeFileSync(join(dir, 'notes.txt'), 'untracked, not in the way\n');
  writeFileSync(join(dir, 'docs/guide.md'), 'tracked, edited, not a policy, not in the way\n');
  // c2 → c3 changed mesh.yaml, README.md, run.sh: an untracked run.sh is in the way.
  writeFileSync(join(dir, 'run.sh'), 'mine\n');
  const blocked = await gitmesh(['rollback', '--repo', dir, '--to', c2]);
  assert.is(blocked.code, 1);
  assert.match(blocked.stderr, 'run.sh');
  assert.is(sh(dir, ['rev-parse', 'main']), c3);
  rmSync(join(dir, 'run.sh'));
  const run = await gitmesh(['rollback', '--repo', dir, '--to', c2]);
  assert.is(run.code, 0, run.stderr);
  assert.is(readFileSync(join(dir, 'notes.txt'), 'utf8'), 'untracked, not in the way\n');
  assert.is(readFileSync(join(dir, 'docs/guide.md'), 'utf8'), 'tracked, edited, not a policy, not in the way\n');
  assert.is(sh(dir, ['status', '--porcelain']), 'M docs/guide.md\n?? notes.txt');
  assert.is(tree(dir, 'main'), tree(dir, c2));
});

test('another branch checked out, or a detached HEAD: refused (exit 1) with what to do', async () => {
  const { dir, c1, c3 } = repository();
  sh(dir, ['switch', '-q', '-c', 'feature']);
  const other = await gitmesh(['rollback', '--repo', dir, '--to', c1]);
  assert.is(other.code, 1);
  assert.match(other.stderr, `branch main is not checked out in ${dir} (feature is checked out); switch to it first (git switch main), or roll back the checked-out branch with --ref`);
  sh(dir, ['switch', '-q', '--detach', 'main']);
  const detached = await gitmesh(['rollback', '--repo', dir, '--to', c1]);
  assert.is(detached.code, 1);
  assert.match(detached.stderr, `HEAD is detached at ${c3.slice(0, 12)}`);
  assert.is(sh(dir, ['rev-parse', 'main']), c3);
  // --ref names the branch: the checked-out feature branch rolls back.
  sh(dir, ['switch', '-q', 'feature']);
  assert.is((await gitmesh(['rollback', '--repo', dir, '--to', c1, '--ref', 'feature'])).code, 0);
  assert.is(tree(dir, 'feature'), tree(dir, c1));
  assert.is(sh(dir, ['rev-parse', 'main']), c3);
});

test('nothing to roll back (same tree) exits 0 without a commit; a target ahead of the branch is refused', async () => {
  const { dir, c1, c3 } = repository();
  const same = await gitmesh(['rollback', '--repo', dir, '--to', 'main']);
  assert.is(same.code, 0);
  assert.match(same.stdout, `main already has the tree of ${c3.slice(0, 12)}; nothing to roll back`);
  assert.is(sh(dir, ['rev-parse', 'main']), c3);
  sh(dir, ['switch', '-q', '-c', 'old', c1]);
  const ahead = await gitmesh(['rollback', '--repo', dir, '--to', c3, '--ref', 'old']);
  assert.is(ahead.code, 1);
  assert.match(ahead.stderr, 'is ahead of old');
});

test('a bare repository: the branch moves, there is no work tree to update', async () => {
  const { dir, c1, c3 } = repository({ bare: true });
  const run = await gitmesh(['rollback', '--repo', dir, '--to', c1]);
  assert.is(run.code, 0, run.stderr);
  assert.is(tree(dir, 'main'), tree(dir, c1));
  assert.is(sh(dir, ['rev-parse', 'main^']), c3);
  assert.not.match(run.stdout, 'work tree');
});

test('an unknown target, a branch that does not exist, or a folder that is no repository: exit 2', async () => {
  const { dir } = repository();
  const target = await gitmesh(['rollback', '--repo', dir, '--to', 'deadbeef']);
  assert.is(target.code, 2);
  assert.match(target.stderr, 'ref "deadbeef" names no commit');
  const branch = await gitmesh(['rollback', '--repo', dir, '--to', 'HEAD~1', '--ref', 'nope']);
  assert.is(branch.code, 2);
  assert.match(branch.stderr, 'has no branch "nope"');
  const folder = join(scratch, 'not-a-repo');
  mkdirSync(folder);
  const plain = await gitmesh(['rollback', '--repo', folder, '--to', 'abcdef1']);
  assert.is(plain.code, 2);
  assert.match(plain.stderr, 'is not a git repository');
  assert.is((await gitmesh(['rollback', '--repo', dir])).code, 2, '--to is required');
});

test('undone commits are those on the branch the target lacks (git rev-list TO..BRANCH), merges included', async () => {
  const { dir, c1, c2, c3 } = repository();
  sh(dir, ['switch', '-q', '-c', 'side', c1]);
  writeFileSync(join(dir, 'side.yaml'), 'side\n');
  sh(dir, ['add', '-A']);
  sh(dir, ['commit', '-q', '-m', 'side'], { ...AS_ALICE, GIT_AUTHOR_DATE: '2024-05-02T12:00:00Z', GIT_COMMITTER_DATE: '2024-05-02T12:00:00Z' });
  const side = sh(dir, ['rev-parse', 'HEAD']);
  sh(dir, ['switch', '-q', 'main']);
  sh(dir, ['merge', '-q', '--no-ff', '-m', 'merge side', 'side'], { ...AS_ALICE, GIT_AUTHOR_DATE: '2024-05-04T10:00:00Z', GIT_COMMITTER_DATE: '2024-05-04T10:00:00Z' });
  const merge = sh(dir, ['rev-parse', 'HEAD']);
  const gitdir = join(dir, '.git');
  assert.equal(await commitsUndone(gitdir, merge, c1), [merge, c3, side, c2]);
  assert.equal(await commitsUndone(gitdir, merge, c2), sh(dir, ['rev-list', `${c2}..${merge}`]).split('\n'));
  assert.equal(await commitsUndone(gitdir, merge, side), sh(dir, ['rev-list', `${side}..${merge}`]).split('\n'));
  assert.equal(await commitsUndone(gitdir, c2, c3), []);
});

test('the message lists the undone commits, a hundred at most; git dates parse as git writes them', () => {
  const ids = Array.from({ length: 102 }, (_, i) => i.toString(16).padStart(40, '0'));
  const message = rollbackMessage('abcdef0123456789abcdef0123456789abcdef01', '\n  Subject line  \nbody', ids);
  assert.ok(message.startsWith('Rollback to abcdef0: Subject line\n\nReverts 0000000000000000000000000000000000000000, '));
  assert.ok(message.endsWith(' and 2 more\n'));
  assert.equal(parseGitDate('2024-05-04T12:00:00+02:00'), { timestamp: 1714816800, timezoneOffset: -120 });
  assert.equal(parseGitDate('@1714816800 -0130'), { timestamp: 1714816800, timezoneOffset: 90 });
  assert.equal(parseGitDate('2024-05-04T10:00:00Z'), { timestamp: 1714816800, timezoneOffset: 0 });
  assert.is(parseGitDate('yesterday'), undefined);
});

// Remote repositories: a real git http-backend.
let server: GitServer;
const TOKEN = 'ghp_RollbackTokenDoNotLeak0123456789';

async function remote(): Promise<{ work: WorkClone; c1: string; c2: string; c3: string }> {
  server.requireToken(null);
  const work = await server.createRepo(`rollback-${randomBytes(3).toString('hex')}`);
  const c1 = await work.commit({ 'mesh.yaml': BASE_MESH }, 'Initial mesh', { date: '2024-05-01T10:00:00Z' });
  const c2 = await work.commit({ 'retry.yaml': 'type: MeshRetry\nname: r\nmesh: default\nspec: {}\n' }, 'Add a retry', { date: '2024-05-02T10:00:00Z' });
  const c3 = await work.commit({ 'mesh.yaml': BASE_MESH.replace('10.0.0.1', '10.0.0.2') }, 'Move backend', { date: '2024-05-03T10:00:00Z' });
  await work.push();
  return { work, c1, c2, c3 };
}

test.before(async () => {
  server = await startGitServer();
});

test('a remote rollback commits on the remote tip and pushes it, with the token from GITMESH_GIT_TOKEN', async () => {
  const { work, c1, c2, c3 } = await remote();
  server.requireToken(TOKEN);
  const run = await gitmesh(['rollback', '--repo', work.url, '--to', c1.slice(0, 8)], scratch, { GITMESH_GIT_TOKEN: TOKEN });
  assert.is(run.code, 0, run.stderr);
  const head = sh(work.bare, ['rev-parse', 'main']);
  assert.is(tree(work.bare, head), tree(work.bare, c1));
  assert.is(sh(work.bare, ['rev-parse', `${head}^`]), c3);
  assert.is(sh(work.bare, ['log', '-1', '--format=%B', head]), `Rollback to ${c1.slice(0, 7)}: Initial mesh\n\nReverts ${c3}, ${c2}`);
  assert.match(run.stdout, `pushed to ${work.url} (${c3.slice(0, 12)}..${head.slice(0, 12)})`);
  assert.not.match(run.stdout + run.stderr, TOKEN);
  sh(work.bare, ['fsck', '--strict', '--no-progress']);
  // Without the token: an auth error, exit 2, the remote unchanged.
  const denied = await gitmesh(['rollback', '--repo', work.url, '--to', c2]);
  assert.is(denied.code, 2);
  assert.match(denied.stderr, 'asks for credentials');
  assert.is(sh(work.bare, ['rev-parse', 'main']), head);
});

test('a push the remote declines (a protected branch) is refused clearly: exit 1, the remote unchanged', async () => {
  const { work, c1, c3 } = await remote();
  const hook = join(work.bare, 'hooks', 'pre-receive');
  writeFileSync(hook, '#!/bin/sh\necho "main is protected: open a pull request" >&2\nexit 1\n');
  chmodSync(hook, 0o755);
  const run = await gitmesh(['rollback', '--repo', work.url, '--to', c1]);
  assert.is(run.code, 1);
  assert.match(run.stderr, `gitmesh: rollback refused: ${work.url} refused the push to main (`);
  assert.match(run.stderr, 'pre-receive hook declined');
  assert.is(sh(work.bare, ['rev-parse', 'main']), c3);
});

/** Wraps the node HTTP client: `before(request)` runs before each request is sent. */
function intercept(before: (request: GitHttpRequest) => Promise<void>): HttpClient {
  return { request: async (request) => (await before(request), nodeHttp.request(request)) };
}

async function rejects<T extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => T): Promise<T> {
  try {
    await promise;
  } catch (error) {
    assert.instance(error, type, `expected ${type.name}, got ${inspect(error)}`);
    return error as T;
  }
  assert.unreachable(`expected ${type.name}, but it resolved`);
  throw new Error('unreachable');
}

test('someone pushes between the fetch and the push: refused, nothing forced, their commit stays', async () => {
  const { work, c1, c3 } = await remote();
  let theirs = '';
  const http = intercept(async (request) => {
    if (!theirs && request.url.includes('service=git-receive-pack')) {
      theirs = await work.commit({ 'late.yaml': 'type: Mesh\nname: late\n' }, 'A late change', { date: '2024-05-04T10:00:00Z' });
      await work.push();
    }
  });
  const error = await rejects(rollbackBranch({ repo: work.url, to: c1, http, env: {} }), PushRejectedError);
  assert.match(error.message, `refused the push to main: the branch moved since gitmesh fetched it (now at ${theirs.slice(0, 12)}, was ${c3.slice(0, 12)})`);
  assert.match(error.message, 'Run the rollback again to roll back from the new tip');
  assert.is(sh(work.bare, ['rev-parse', 'main']), theirs);
});

test('someone pushes after the push was prepared: the server refuses the stale update, and so does gitmesh', async () => {
  const { work, c1 } = await remote();
  let theirs = '';
  const http = intercept(async (request) => {
    if (!theirs && request.method === 'POST' && request.url.endsWith('/git-receive-pack')) {
      theirs = await work.commit({ 'late.yaml': 'type: Mesh\nname: late\n' }, 'A late change', { date: '2024-05-04T10:00:00Z' });
      await work.push();
    }
  });
  const error = await rejects(rollbackBranch({ repo: work.url, to: c1, http, env: {} }), PushRejectedError);
  assert.match(error.message, 'refused the push to main (');
  assert.is(sh(work.bare, ['rev-parse', 'main']), theirs);
  // Run again: it rolls back from the new tip, undoing the late change too.
  const again = await rollbackBranch({ repo: work.url, to: c1, env: {} });
  assert.is(again.previous, theirs);
  assert.is(again.undone[0], theirs);
  assert.is(sh(work.bare, ['rev-parse', 'main']), again.commit);
});

test.after(async () => {
  await server.close();
  rmSync(scratch, { recursive: true, force: true });
});

test.run();
