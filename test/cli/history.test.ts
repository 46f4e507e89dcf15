// `gitmesh history`: commits that changed policies, what they changed, joined with a state dir's applied log.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readHistory } from '../../src/reconcile/history.js';
import { diffJson } from '../../src/core/json-diff.js';
import { defaultMirrorDir } from '../../src/source/remote.js';
import { BASE_MESH, gitmesh } from '../helpers/cli.js';
import { startGitServer } from '../helpers/git-server.js';

const scratch = mkdtempSync(join(tmpdir(), 'gitmesh-history-'));

/** Runs git in `cwd` with no user or system config; `as` and `date` fix identity and both dates. */
function sh(cwd: string, args: string[], options: { as?: [string, string]; date?: string } = {}): string {
  const [name, email] = options.as ?? ['Alice Admin', 'alice@example.test'];
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: scratch,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_AUTHOR_NAME: name,
    GIT_AUTHOR_EMAIL: email,
    GIT_COMMITTER_NAME: name,
    GIT_COMMITTER_EMAIL: email,
    ...(options.date && { GIT_AUTHOR_DATE: options.date, GIT_COMMITTER_DATE: options.date }),
  };
  return execFileSync('git', args, { cwd, env }).toString().trim();
}

/** A repository whose commits are made by `commit(files, message, date, as?)`; null deletes a file. */
function repository(name: string) {
  const dir = join(scratch, name);
  mkdirSync(dir);
  sh(dir, ['init', '-q', '-b', 'main']);
  const commit = (files: Record<string, string | null>, message: string, date: string, as?: [string, string]) => {
    for (const [path, content] of Object.entries(files)) {
      if (content === null) rmSync(join(dir, path), { force: true });
      else {
        mkdirSync(dirname(join(dir, path)), { recursive: true });
        writeFileSync(join(dir, path), content);
      }
    }
    sh(dir, ['add', '-A']);
    sh(dir, ['commit', '-q', '--allow-empty', '-m', message], { date, ...(as && { as }) });
    return sh(dir, ['rev-parse', 'HEAD']);
  };
  return { dir, commit, git: (args: string[], date?: string) => sh(dir, args, date ? { date } : {}) };
}

const timeout = (idle: string, extra = '') => `type: MeshTimeout
name: backend-timeout
mesh: default
spec:
  targetRef:
    kind: Mesh
  to:
    - targetRef:
        kind: MeshService
        name: backend
      default:
        idleTimeout: ${idle}${extra}
`;
const RETRY = `type: MeshRetry
name: backend-retry
mesh: default
spec:
  targetRef:
    kind: Mesh
  to:
    - targetRef:
        kind: MeshService
        name: backend
      default:
        http:
          numRetries: 3
`;
const BOB: [string, string] = ['Bob Builder', 'bob@example.test'];

// Given a history: an initial mesh, a docs-only commit, a reformat that moves a resource to
// another file, a change by Bob, a change that is rolled back after NACKs, its `git revert`,
// and a commit the reconciler rejected.
const repo = repository('main');
const c1 = repo.commit({ 'mesh.yaml': BASE_MESH, 'policies/timeouts.yaml': timeout('10s') }, 'Initial mesh', '2024-05-01T10:00:00Z');
repo.commit({ 'README.md': '# policies\n' }, 'Docs only', '2024-05-02T10:00:00Z');
repo.commit({ 'policies/timeouts.yaml': null, 'policies/all.yaml': `# moved and reformatted: the same resource\n${timeout('"10s"')}` }, 'Move timeouts into all.yaml', '2024-05-03T10:00:00Z');
const c4 = repo.commit(
  { 'policies/all.yaml': timeout('5s', '\n        http:\n          requestTimeout: 2s'), 'policies/retry.yaml': RETRY },
  'Tighten backend timeouts\n\nand retry three times',
  '2024-05-04T09:30:00+02:00',
  BOB,
);
const c5 = repo.commit({ 'mesh.yaml': BASE_MESH.replace('10.0.0.1', '10.0.0.2'), 'policies/retry.yaml': null }, 'Move backend, drop the retry', '2024-05-05T10:00:00Z');
repo.git(['revert', '--no-edit', 'HEAD'], '2024-05-06T10:00:00Z');
const c6 = repo.git(['rev-parse', 'HEAD']);
const c7 = repo.commit({ 'policies/all.yaml': timeout('5s', '\n        idleTimout: 1s') }, 'Typo in a field', '2024-05-07T10:00:00Z');

const versions = { lds: 'a', cds: 'b' };
const stateDir = join(scratch, 'state');
mkdirSync(stateDir);
writeFileSync(
  join(stateDir, 'applied.jsonl'),
  [
    { event: 'applied', time: '2024-05-01T10:00:05.000Z', commit: c1, trigger: 'start', changed: { 'default.backend-1': versions }, removed: [], unchanged: 0 },
    { event: 'live', time: '2024-05-01T10:00:06.000Z', commit: c1, acked: 1, nacked: 0, pending: 0, disconnected: 0, proxies: { 'default.backend-1': { state: 'Acked' } } },
    { event: 'applied', time: '2024-05-04T07:31:00.000Z', commit: c4, trigger: 'poll', changed: { 'default.backend-1': versions, 'default.web-1': versions }, removed: [], unchanged: 3 },
    { event: 'live', time: '2024-05-04T07:31:02.000Z', commit: c4, acked: 1, nacked: 0, pending: 0, disconnected: 1, proxies: {} },
    { event: 'applied', time: '2024-05-05T10:01:00.000Z', commit: c5, trigger: 'webhook', changed: { 'default.backend-1': versions }, removed: [], unchanged: 4 },
    { event: 'live', time: '2024-05-05T10:01:01.000Z', commit: c5, acked: 0, nacked: 1, pending: 0, disconnected: 0, proxies: { 'default.backend-1': { state: 'Nacked', error: 'bad address' } } },
    { event: 'rollback', time: '2024-05-05T10:01:02.000Z', commit: c5, to: c4, reason: '1 proxy NACKed it: default.backend-1: bad address', proxies: ['default.backend-1'] },
    { event: 'a-future-kind', time: '2024-05-05T11:00:00.000Z', commit: c5, whatever: true },
    { event: 'applied', time: '2024-05-06T10:00:30.000Z', commit: c6, trigger: 'poll', changed: { 'default.backend-1': versions }, removed: [], unchanged: 4, revertOf: [c5] },
    { event: 'live', time: '2024-05-06T10:00:31.000Z', commit: c6, acked: 1, nacked: 0, pending: 0, disconnected: 0, proxies: {} },
    { event: 'rejected', time: '2024-05-07T10:00:10.000Z', commit: c7, trigger: 'poll', errors: 1, diagnostics: ['GM202 policies/all.yaml:13:9 unknown field `idleTimout`'] },
  ]
    .map((entry) => JSON.stringify(entry))
    .join('\n') + '\n{"event": "applied", "time": "torn',
);

const json = async (...args: string[]) => {
  const run = await gitmesh(['history', '--repo', repo.dir, '--format', 'json', ...args]);
  assert.is(run.code, 0, run.stderr);
  return JSON.parse(run.stdout) as Record<string, unknown>[];
};

test('json: one entry per commit that changed a resource, newest first, joined with the applied log (DESIGN §7 shape)', async () => {
  const entries = await json('--state-dir', stateDir);
  assert.equal(entries, [
    {
      commit: c7,
      author: { name: 'Alice Admin', email: 'alice@example.test' },
      date: '2024-05-07T10:00:00Z',
      message: 'Typo in a field\n',
      changes: [{ kind: 'MeshTimeout', mesh: 'default', name: 'backend-timeout', change: 'changed', fields: ['spec.to[0].default.http', 'spec.to[0].default.idleTimout'] }],
      rejected: { at: '2024-05-07T10:00:10.000Z', errors: 1, diagnostics: ['GM202 policies/all.yaml:13:9 unknown field `idleTimout`'] },
    },
    {
      commit: c6,
      author: { name: 'Alice Admin', email: 'alice@example.test' },
      date: '2024-05-06T10:00:00Z',
      message: `Revert "Move backend, drop the retry"\n\nThis reverts commit ${c5}.\n`,
      changes: [
        { kind: 'Dataplane', mesh: 'default', name: 'backend-1', change: 'changed', fields: ['networking.address'] },
        { kind: 'MeshRetry', mesh: 'default', name: 'backend-retry', change: 'added', fields: [] },
      ],
      applied: { at: '2024-05-06T10:00:30.000Z', proxies: 1, acked: 1, nacked: 0, revertOf: [c5] },
    },
    {
      commit: c5,
      author: { name: 'Alice Admin', email: 'alice@example.test' },
      date: '2024-05-05T10:00:00Z',
      message: 'Move backend, drop the retry\n',
      changes: [
        { kind: 'Dataplane', mesh: 'default', name: 'backend-1', change: 'changed', fields: ['networking.address'] },
        { kind: 'MeshRetry', mesh: 'default', name: 'backend-retry', change: 'removed', fields: [] },
      ],
      applied: { at: '2024-05-05T10:01:00.000Z', proxies: 1, acked: 0, nacked: 1, rolledBack: { reason: '1 proxy NACKed it: default.backend-1: bad address', at: '2024-05-05T10:01:02.000Z' } },
    },
    {
      commit: c4,
      author: { name: 'Bob Builder', email: 'bob@example.test' },
      date: '2024-05-04T09:30:00+02:00',
      message: 'Tighten backend timeouts\n\nand retry three times\n',
      changes: [
        { kind: 'MeshTimeout', mesh: 'default', name: 'backend-timeout', change: 'changed', fields: ['spec.to[0].default.http', 'spec.to[0].default.idleTimeout'] },
        { kind: 'MeshRetry', mesh: 'default', name: 'backend-retry', change: 'added', fields: [] },
      ],
      applied: { at: '2024-05-04T07:31:00.000Z', proxies: 2, acked: 1, nacked: 0 },
    },
    {
      commit: c1,
      author: { name: 'Alice Admin', email: 'alice@example.test' },
      date: '2024-05-01T10:00:00Z',
      message: 'Initial mesh\n',
      changes: [
        { kind: 'Mesh', mesh: 'default', name: 'default', change: 'added', fields: [] },
        { kind: 'Dataplane', mesh: 'default', name: 'backend-1', change: 'added', fields: [] },
        { kind: 'MeshTimeout', mesh: 'default', name: 'backend-timeout', change: 'added', fields: [] },
      ],
      applied: { at: '2024-05-01T10:00:05.000Z', proxies: 1, acked: 1, nacked: 0 },
    },
  ]);
});

test('text: a block per commit with its changes, fields, and what the applied log says', async () => {
  const run = await gitmesh(['history', '--repo', repo.dir, '--state-dir', stateDir]);
  assert.is(run.code, 0, run.stderr);
  const short = (c: string) => c.slice(0, 12);
  assert.is(
    run.stdout,
    `${short(c7)}  2024-05-07T10:00:00Z  Alice Admin <alice@example.test>
    Typo in a field
    ~ MeshTimeout default/backend-timeout: spec.to[0].default.http, spec.to[0].default.idleTimout
    rejected 2024-05-07T10:00:10.000Z: 1 error
      GM202 policies/all.yaml:13:9 unknown field \`idleTimout\`

${short(c6)}  2024-05-06T10:00:00Z  Alice Admin <alice@example.test>
    Revert "Move backend, drop the retry"
    ~ Dataplane default/backend-1: networking.address
    + MeshRetry default/backend-retry
    live 2024-05-06T10:00:30.000Z: 1 proxy changed, 1 ACKed, 0 NACKed
    revert of ${short(c5)}

${short(c5)}  2024-05-05T10:00:00Z  Alice Admin <alice@example.test>
    Move backend, drop the retry
    ~ Dataplane default/backend-1: networking.address
    - MeshRetry default/backend-retry
    live 2024-05-05T10:01:00.000Z: 1 proxy changed, 0 ACKed, 1 NACKed
    rolled back 2024-05-05T10:01:02.000Z (back to ${short(c4)}): 1 proxy NACKed it: default.backend-1: bad address

${short(c4)}  2024-05-04T09:30:00+02:00  Bob Builder <bob@example.test>
    Tighten backend timeouts
    ~ MeshTimeout default/backend-timeout: spec.to[0].default.http, spec.to[0].default.idleTimeout
    + MeshRetry default/backend-retry
    live 2024-05-04T07:31:00.000Z: 2 proxies changed, 1 ACKed, 0 NACKed, 1 not connected

${short(c1)}  2024-05-01T10:00:00Z  Alice Admin <alice@example.test>
    Initial mesh
    + Mesh default
    + Dataplane default/backend-1
    + MeshTimeout default/backend-timeout
    live 2024-05-01T10:00:05.000Z: 1 proxy changed, 1 ACKed, 0 NACKed
`,
  );
});

test('without a state dir: the same commits, and no applied or rejected info', async () => {
  const entries = await json();
  assert.equal(entries.map((e) => e.commit), [c7, c6, c5, c4, c1]);
  assert.ok(entries.every((e) => !('applied' in e) && !('rejected' in e)));
});

test('--resource KIND/NAME keeps the commits that changed that resource, and only its change', async () => {
  const entries = await json('--resource', 'MeshRetry/backend-retry', '--state-dir', stateDir);
  assert.equal(entries.map((e) => e.commit), [c6, c5, c4]);
  assert.equal(entries.map((e) => e.changes), [
    [{ kind: 'MeshRetry', mesh: 'default', name: 'backend-retry', change: 'added', fields: [] }],
    [{ kind: 'MeshRetry', mesh: 'default', name: 'backend-retry', change: 'removed', fields: [] }],
    [{ kind: 'MeshRetry', mesh: 'default', name: 'backend-retry', change: 'added', fields: [] }],
  ]);
  // KIND/MESH/NAME, the kind in any case; a mesh it is not in finds nothing.
  assert.equal((await json('--resource', 'meshtimeout/default/backend-timeout')).map((e) => e.commit), [c7, c4, c1]);
  assert.equal(await json('--resource', 'MeshTimeout/other/backend-timeout'), []);
});

test('--ref walks from that commit; --limit stops early and the text says so', async () => {
  assert.equal((await json('--ref', c5)).map((e) => e.commit), [c5, c4, c1]);
  assert.equal((await json('--limit', '2')).map((e) => e.commit), [c7, c6]);
  const run = await gitmesh(['history', '--repo', repo.dir, '--limit', '2']);
  assert.match(run.stdout, /\(stopped after 2 commits: older ones may have changed policies too; raise --limit to see them\)\n$/);
});

test('--path narrows to a policy folder: resources outside it are not looked at', async () => {
  const entries = await json('--path', 'policies');
  assert.equal(entries.map((e) => e.commit), [c7, c6, c5, c4, c1]);
  assert.ok(entries.every((e) => (e.changes as { kind: string }[]).every((c) => c.kind !== 'Dataplane' && c.kind !== 'Mesh')));
  assert.equal((await json('--path', 'nowhere')), []);
});

test('a shallow clone: history ends at the shallow boundary, and says so', async () => {
  const clone = join(scratch, 'shallow');
  sh(scratch, ['clone', '-q', '--depth', '3', `file://${repo.dir}`, clone]);
  const run = await gitmesh(['history', '--repo', clone, '--format', 'json']);
  assert.is(run.code, 0, run.stderr);
  // The clone holds c7, c6, c5; c5's parent is missing, so what c5 changed is unknown.
  assert.equal((JSON.parse(run.stdout) as { commit: string }[]).map((e) => e.commit), [c7, c6]);
  const history = await readHistory({ dir: clone });
  assert.equal(history.stopped, { reason: 'shallow', at: [c5] });
  const text = await gitmesh(['history', '--repo', clone]);
  assert.match(text.stdout, `history ends at ${c5.slice(0, 12)}, whose parents it does not hold; fetch more history (git fetch --unshallow)`);
});

test('a merge that only brings in a branch is not listed again; the branch commit is', async () => {
  const r = repository('merges');
  r.commit({ 'mesh.yaml': BASE_MESH }, 'Mesh', '2024-06-01T10:00:00Z');
  r.git(['switch', '-q', '-c', 'feature']);
  const feature = r.commit({ 'retry.yaml': RETRY }, 'Add a retry', '2024-06-02T10:00:00Z');
  r.git(['switch', '-q', 'main']);
  r.git(['merge', '-q', '--no-ff', '-m', 'Merge feature', 'feature'], '2024-06-03T10:00:00Z');
  const history = await readHistory({ dir: r.dir });
  assert.equal(history.entries.map((e) => e.message.trim()), ['Add a retry', 'Mesh']);
  assert.is(history.entries[0]!.commit, feature);
  assert.is(history.stopped, undefined);
});

test('a plain folder, a malformed --resource or --limit: exit 2 with a message', async () => {
  const folder = join(scratch, 'folder');
  mkdirSync(folder);
  writeFileSync(join(folder, 'mesh.yaml'), BASE_MESH);
  const plain = await gitmesh(['history', '--repo', folder]);
  assert.is(plain.code, 2);
  assert.match(plain.stderr, 'is not a git repository; history reads commits');
  const resource = await gitmesh(['history', '--repo', repo.dir, '--resource', 'MeshTimeout']);
  assert.is(resource.code, 2);
  assert.match(resource.stderr, 'write KIND/NAME or KIND/MESH/NAME');
  const kind = await gitmesh(['history', '--repo', repo.dir, '--resource', 'MeshTimeouts/x']);
  assert.is(kind.code, 2);
  assert.match(kind.stderr, 'MeshTimeouts is not a kind');
  const limit = await gitmesh(['history', '--repo', repo.dir, '--limit', '0']);
  assert.is(limit.code, 2);
  const missing = await gitmesh(['history', '--repo', repo.dir, '--ref', 'nope']);
  assert.is(missing.code, 2);
  assert.match(missing.stderr, 'ref "nope" names no commit');
});

test('a state dir without an applied log: a note on stderr, the git history on stdout', async () => {
  const empty = join(scratch, 'empty-state');
  mkdirSync(empty);
  const run = await gitmesh(['history', '--repo', repo.dir, '--state-dir', empty, '--format', 'json']);
  assert.is(run.code, 0);
  assert.match(run.stderr, 'no applied log in');
  assert.is((JSON.parse(run.stdout) as unknown[]).length, 5);
});

test('a remote repository: its whole history is mirrored and read', async () => {
  const server = await startGitServer();
  try {
    const work = await server.createRepo(`history-${randomBytes(3).toString('hex')}`);
    const first = await work.commit({ 'mesh.yaml': BASE_MESH }, 'Mesh', { date: '2024-07-01T10:00:00Z' });
    await work.commit({ 'README.md': 'docs\n' }, 'Docs', { date: '2024-07-02T10:00:00Z' });
    const third = await work.commit({ 'retry.yaml': RETRY }, 'Retry', { date: '2024-07-03T10:00:00Z' });
    await work.push();
    const run = await gitmesh(['history', '--repo', work.url, '--format', 'json']);
    assert.is(run.code, 0, run.stderr);
    assert.equal((JSON.parse(run.stdout) as { commit: string }[]).map((e) => e.commit), [third, first]);
    rmSync(`${defaultMirrorDir(work.url)}-history`, { recursive: true, force: true });
  } finally {
    await server.close();
  }
});

test('field paths: mappings by key, lists by index, added and removed keys; equal values give none', () => {
  const paths = (before: unknown, after: unknown) => diffJson(before, after).map((c) => c.path);
  assert.equal(paths({ a: 1, b: { c: [1, 2] } }, { a: 1, b: { c: [1, 3, 4] }, d: 'x' }), ['b.c[1]', 'b.c[2]', 'd']);
  assert.equal(paths({ a: { x: 1 } }, { a: [1] }), ['a']);
  assert.equal(paths({ b: 1, a: 2 }, { a: 2, b: 1 }), []);
});

test.after(() => rmSync(scratch, { recursive: true, force: true }));

test.run();
