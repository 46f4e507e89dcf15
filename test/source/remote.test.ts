// A remote repository over smart HTTP: a real `git http-backend`, real pushes by the git CLI, and the mirror that follows them.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import git from 'isomorphic-git';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  defaultMirrorDir,
  MirrorStorageError,
  readCommitInfo,
  readSource,
  RefNotFoundError,
  RemoteAuthError,
  RemoteMirror,
  RemoteNotFoundError,
  RemoteUnavailableError,
  type RemoteFetch,
  type RemoteMirrorOptions,
  type RemoteWarning,
} from '../../src/source/index.js';
import { BASE_MESH, gitmesh } from '../helpers/cli.js';
import { startGitServer, type GitServer, type WorkClone } from '../helpers/git-server.js';

const TOKEN = 'ghp_TestTokenDoNotLeak0123456789abcdef';
let server: GitServer;
let scratch: string;
let repos = 0;

test.before(async () => {
  server = await startGitServer();
  scratch = await mkdtemp(join(tmpdir(), 'gitmesh-remote-test-'));
});

test.after(async () => {
  await server.close();
  await rm(scratch, { recursive: true, force: true });
});

/** A fresh served repository (unique name) and a fresh mirror dir. */
async function fixture(): Promise<{ work: WorkClone; gitdir: string }> {
  const name = `repo-${++repos}-${randomBytes(3).toString('hex')}`;
  return { work: await server.createRepo(name), gitdir: join(scratch, name) };
}

function mirror(work: WorkClone, gitdir: string, options: Partial<RemoteMirrorOptions> = {}): RemoteMirror {
  return new RemoteMirror({ url: work.url, gitdir, ...options });
}

/** Incompressible bytes: what a pack cannot shrink, so sizes say which objects travelled. */
const noise = (bytes: number) => randomBytes(bytes).toString('base64');
const text = (rev: { files: { path: string; bytes: Uint8Array }[] }) => Object.fromEntries(rev.files.map((f) => [f.path, new TextDecoder().decode(f.bytes)]));
const figure = (label: string, f: RemoteFetch) => {
  if (process.env.GITMESH_FIGURES) console.log(`  [figure] ${label}: pack ${f.packBytes} B, received ${f.bytesReceived} B, ${f.requests} requests, ${f.ms} ms`);
};

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

test('a first fetch is a shallow clone of the branch into a bare git dir, read from objects without a checkout', async () => {
  const { work, gitdir } = await fixture();
  const first = await work.commit({ 'mesh.yaml': 'type: Mesh\nname: default\n', 'policies/t.yaml': 'v1\n' }, 'first');
  const second = await work.commit({ 'policies/t.yaml': 'v2\n' }, 'second\n\nwith a body', { date: '2024-05-06T07:08:09+02:00' });
  await work.push();

  const m = mirror(work, gitdir, { ref: 'main' });
  const fetched = await m.fetch();
  assert.equal([fetched.commit, fetched.previous, fetched.changed, fetched.transferred], [second, null, true, true]);
  assert.ok(fetched.packBytes > 0 && fetched.bytesReceived >= fetched.packBytes);

  // Bare, no work tree: only git's own entries at the top of the git dir.
  const entries = await readdir(gitdir);
  assert.ok(entries.includes('objects') && entries.includes('HEAD'));
  assert.not.ok(entries.some((e) => e.endsWith('.yaml') || e === 'policies'), entries.join(','));
  // Shallow at depth 1: the parent commit was not fetched.
  assert.ok(fs.existsSync(join(gitdir, 'shallow')));
  await rejects(git.readCommit({ fs, gitdir, oid: first }), Error);

  assert.equal(text(await m.read(fetched.commit)), { 'mesh.yaml': 'type: Mesh\nname: default\n', 'policies/t.yaml': 'v2\n' });
  assert.equal(text(await m.read(fetched.commit, { path: 'policies' })), { 't.yaml': 'v2\n' });
  const info = await m.commitInfo(fetched.commit);
  assert.equal(info.parents, [first]);
  assert.equal(info.author, { name: 'Test Author', email: 'author@example.test', date: '2024-05-06T07:08:09+02:00' });
  assert.is(info.committer.date, '2024-05-06T07:08:09+02:00');
  assert.is(info.message, 'second\n\nwith a body\n');
  assert.match(info.tree, /^[0-9a-f]{40}$/);
  // The same reader serves a local repository (here the work clone, at a ref).
  assert.equal(await readCommitInfo(work.dir, 'main'), info);
});

test('depth sets how much history the first fetch brings: 2 commits, or all with 0', async () => {
  const { work, gitdir } = await fixture();
  const one = await work.commit({ 'p.yaml': '1\n' }, 'one');
  const two = await work.commit({ 'p.yaml': '2\n' }, 'two');
  const three = await work.commit({ 'p.yaml': '3\n' }, 'three');
  await work.push();
  const has = (dir: string, oid: string) => git.readCommit({ fs, gitdir: dir, oid }).then(() => true, () => false);
  await mirror(work, gitdir, { depth: 2 }).fetch();
  assert.equal([await has(gitdir, three), await has(gitdir, two), await has(gitdir, one)], [true, true, false]);
  const full = join(scratch, 'full-history');
  await mirror(work, full, { depth: 0 }).fetch();
  assert.equal([await has(full, one), fs.existsSync(join(full, 'shallow'))], [true, false]);
});

test('a push is fetched incrementally: only the new objects travel, and an unchanged ref costs one request', async () => {
  const { work, gitdir } = await fixture();
  await work.commit({ 'blob.bin': noise(300_000), 'policies/t.yaml': 'v1\n' }, 'big first');
  await work.push();
  const m = mirror(work, gitdir);
  const clone = await m.fetch();
  figure('clone', clone);

  server.resetLog();
  const same = await m.fetch();
  assert.equal([same.commit, same.changed, same.transferred, same.requests, same.packBytes], [clone.commit, false, false, 1, 0]);
  assert.equal(server.log.map((r) => `${r.method} ${r.path.split('/').pop()}`), ['GET refs']);

  const next = await work.commit({ 'policies/t.yaml': 'v2\n' }, 'small change');
  await work.push();
  const incremental = await m.fetch();
  figure('incremental', incremental);
  assert.equal([incremental.commit, incremental.previous, incremental.changed, incremental.transferred], [next, clone.commit, true, true]);
  // The 300 kB blob did not travel again.
  assert.ok(incremental.packBytes * 50 < clone.packBytes, `incremental ${incremental.packBytes} B vs clone ${clone.packBytes} B`);
  assert.ok(incremental.bytesReceived * 50 < clone.bytesReceived, `incremental ${incremental.bytesReceived} B vs clone ${clone.bytesReceived} B`);
  assert.equal(text(await m.read(incremental.commit)), { 'policies/t.yaml': 'v2\n' });
});

test('a new mirror over the same git dir (a restart) knows the last commit and fetches incrementally', async () => {
  const { work, gitdir } = await fixture();
  await work.commit({ 'blob.bin': noise(200_000), 'a.yaml': 'a1\n' }, 'first');
  await work.push();
  const before = await mirror(work, gitdir).fetch();
  const next = await work.commit({ 'a.yaml': 'a2\n' }, 'second');
  await work.push();

  const restarted = mirror(work, gitdir);
  assert.is(await restarted.current(), before.commit);
  const after = await restarted.fetch();
  assert.equal([after.commit, after.previous, after.changed], [next, before.commit, true]);
  assert.ok(after.packBytes * 50 < before.packBytes, `after restart ${after.packBytes} B vs first clone ${before.packBytes} B`);
  assert.is(await new RemoteMirror({ url: work.url, gitdir: join(scratch, 'never-fetched') }).current(), null);
});

test('a force-push is followed: the new tip goes live; a ref moved back to a fetched commit needs no pack', async () => {
  const { work, gitdir } = await fixture();
  const a = await work.commit({ 'p.yaml': 'a\n' }, 'a');
  await work.push();
  const m = mirror(work, gitdir);
  assert.is((await m.fetch()).commit, a);
  const b = await work.commit({ 'p.yaml': 'b\n', 'extra.yaml': 'b\n' }, 'b');
  await work.push();
  assert.is((await m.fetch()).commit, b);

  await work.git('reset', '-q', '--hard', a);
  const d = await work.commit({ 'p.yaml': 'd\n' }, 'd, rewritten');
  await work.push({ force: true });
  const forced = await m.fetch();
  assert.equal([forced.commit, forced.previous, forced.changed], [d, b, true]);
  assert.equal(text(await m.read(forced.commit)), { 'p.yaml': 'd\n' });

  await work.git('reset', '-q', '--hard', b);
  await work.push({ force: true });
  const back = await m.fetch();
  assert.equal([back.commit, back.previous, back.changed, back.transferred], [b, d, true, false]);
  assert.equal(text(await m.read(back.commit)), { 'p.yaml': 'b\n', 'extra.yaml': 'b\n' });
});

test('a tag pins what it names (annotated or not), and a tag moved by force is followed', async () => {
  const { work, gitdir } = await fixture();
  const tagged = await work.commit({ 'p.yaml': 'release 1\n' }, 'one');
  await work.push();
  await work.tag('v1', 'release 1');
  await work.tag('light');
  const later = await work.commit({ 'p.yaml': 'unreleased\n' }, 'two');
  await work.push();

  const annotated = mirror(work, gitdir, { ref: 'v1' });
  const first = await annotated.fetch();
  assert.is(first.commit, tagged);
  assert.equal(text(await annotated.read(first.commit)), { 'p.yaml': 'release 1\n' });
  assert.is((await mirror(work, gitdir, { ref: 'light' }).fetch()).commit, tagged);

  await work.commit({ 'p.yaml': 'more\n' }, 'three');
  await work.push();
  const unmoved = await annotated.fetch();
  assert.equal([unmoved.commit, unmoved.changed, unmoved.transferred], [tagged, false, false]);

  await work.git('checkout', '-q', later);
  await work.tag('v1', 'release 1, redone', { force: true });
  const moved = await annotated.fetch();
  assert.equal([moved.commit, moved.previous, moved.changed], [later, tagged, true]);
});

test('a commit id is a pin: fetched once, then never again while the mirror holds it', async () => {
  const { work, gitdir } = await fixture();
  const pinned = await work.commit({ 'p.yaml': 'pinned\n' }, 'pinned');
  await work.commit({ 'p.yaml': 'tip\n' }, 'tip');
  await work.push();

  const m = mirror(work, gitdir, { ref: pinned });
  const first = await m.fetch();
  assert.equal([first.commit, first.transferred], [pinned, true]);
  assert.equal(text(await m.read(first.commit)), { 'p.yaml': 'pinned\n' });

  server.resetLog();
  const again = await m.fetch();
  assert.equal([again.commit, again.changed, again.transferred, again.requests], [pinned, false, false, 0]);
  assert.is(server.log.length, 0);
  // Abbreviated, it resolves in the mirror that holds it; unknown, it cannot be fetched.
  assert.is((await mirror(work, gitdir, { ref: pinned.slice(0, 10) }).fetch()).commit, pinned);
  const short = await rejects(mirror(work, join(scratch, 'short-pin'), { ref: pinned.slice(0, 10) }).fetch(), RefNotFoundError);
  assert.match(short.message, /40 hex digits/);
});

test('a missing ref and a deleted branch are RefNotFoundError; the commits fetched before stay readable', async () => {
  const { work, gitdir } = await fixture();
  await work.commit({ 'p.yaml': 'x\n' }, 'x');
  await work.push();
  await work.push({ branch: 'feature' });
  await rejects(mirror(work, join(scratch, 'nope'), { ref: 'nope' }).fetch(), RefNotFoundError);

  const m = mirror(work, gitdir, { ref: 'feature' });
  const live = await m.fetch();
  await work.deleteBranch('feature');
  const gone = await rejects(m.fetch(), RefNotFoundError);
  assert.match(gone.message, /feature/);
  assert.equal(text(await m.read(live.commit)), { 'p.yaml': 'x\n' });
  assert.is(await m.current(), live.commit);

  const empty = await server.createRepo(`empty-${randomBytes(3).toString('hex')}`);
  assert.match((await rejects(mirror(empty, join(scratch, 'empty')).fetch(), RefNotFoundError)).message, /empty/);
  await rejects(new RemoteMirror({ url: `${server.url}/no-such-repo.git`, gitdir: join(scratch, 'no-such') }).fetch(), RemoteNotFoundError);
});

test('a required token: refused without it or when wrong (RemoteAuthError), accepted as a token, USER:PASSWORD or in the URL', async () => {
  const { work, gitdir } = await fixture();
  const tip = await work.commit({ 'p.yaml': 'secret\n' }, 'private');
  await work.push();
  server.requireToken(TOKEN);
  try {
    const missing = await rejects(mirror(work, gitdir).fetch(), RemoteAuthError);
    assert.match(missing.message, /GITMESH_GIT_TOKEN/);
    assert.is(missing.data.status, 401);
    await rejects(mirror(work, gitdir, { token: 'wrong-token' }).fetch(), RemoteAuthError);

    server.resetLog();
    assert.is((await mirror(work, gitdir, { token: TOKEN }).fetch()).commit, tip);
    // Sent with every request, so no 401 round trip.
    assert.ok(server.log.length > 0 && server.log.every((r) => r.authorized && r.status === 200), JSON.stringify(server.log));
    assert.is((await mirror(work, join(scratch, 'userpass'), { token: `someone:${TOKEN}` }).fetch()).commit, tip);
    const inUrl = new RemoteMirror({ url: work.url.replace('http://', `http://x-access-token:${TOKEN}@`), gitdir: join(scratch, 'in-url') });
    assert.is(inUrl.url, work.url);
    assert.is((await inUrl.fetch()).commit, tip);
  } finally {
    server.requireToken(null);
  }
});

test('server down: RemoteUnavailableError (refused, 503, or no answer in time); back up, the next fetch works', async () => {
  const { work, gitdir } = await fixture();
  const live = await work.commit({ 'p.yaml': 'live\n' }, 'live');
  await work.push();
  const m = mirror(work, gitdir);
  await m.fetch();
  const next = await work.commit({ 'p.yaml': 'next\n' }, 'next');
  await work.push();

  await server.down('refuse');
  try {
    await rejects(m.fetch(), RemoteUnavailableError);
    await rejects(m.fetch(), RemoteUnavailableError);
  } finally {
    await server.up();
  }
  assert.equal(text(await m.read(live)), { 'p.yaml': 'live\n' });

  await server.down('503');
  try {
    const unavailable = await rejects(m.fetch(), RemoteUnavailableError);
    assert.is(unavailable.data.status, 503);
  } finally {
    await server.up();
  }
  const recovered = await m.fetch();
  assert.equal([recovered.commit, recovered.previous], [next, live]);

  const silent = createServer(() => {}); // accepts, never answers
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/r.git`;
    const started = Date.now();
    const timedOut = await rejects(new RemoteMirror({ url, gitdir: join(scratch, 'silent'), timeoutMs: 300 }).fetch(), RemoteUnavailableError);
    assert.ok(Date.now() - started < 5_000);
    assert.match(timedOut.message, /within 0.3s/);
  } finally {
    silent.closeAllConnections();
    silent.close();
  }
});

test('a pack over the bound is fetched, with a LargePack warning; one under it is not reported', async () => {
  const { work, gitdir } = await fixture();
  await work.commit({ 'blob.bin': noise(300_000), 'p.yaml': 'one\n' }, 'large');
  await work.push();
  const warnings: RemoteWarning[] = [];
  const m = mirror(work, gitdir, { maxPackBytes: 100_000, onWarning: (w) => warnings.push(w) });
  const large = await m.fetch();
  assert.equal(warnings.map((w) => [w.code, w.data.packBytes]), [['LargePack', large.packBytes]]);
  assert.match(warnings[0]!.message, /over the 97.7 KiB bound/);
  assert.equal(text(await m.read(large.commit)), { 'p.yaml': 'one\n' });

  await work.commit({ 'p.yaml': 'two\n' }, 'small');
  await work.push();
  await m.fetch();
  assert.is(warnings.length, 1);
});

test('the token never appears in an error, a warning, or the git dir', async () => {
  const { work, gitdir } = await fixture();
  await work.commit({ 'blob.bin': noise(50_000), 'p.yaml': 'x\n' }, 'x');
  await work.push();
  server.requireToken(TOKEN);
  const seen: unknown[] = [];
  const collect = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => void seen.push(error));
  const withUrl = work.url.replace('http://', `http://me:${TOKEN}@`);
  try {
    await mirror(work, gitdir, { token: TOKEN, maxPackBytes: 1_000, onWarning: (w) => seen.push(w) }).fetch();
    await collect(new RemoteMirror({ url: withUrl, gitdir: join(scratch, 'leak-ref'), ref: 'nope' }).fetch());
    await collect(new RemoteMirror({ url: `${server.url}/missing.git`, gitdir: join(scratch, 'leak-404'), token: TOKEN }).fetch());
    server.requireToken('another-token');
    await collect(mirror(work, gitdir, { token: TOKEN }).fetch());
    await server.down('503');
    await collect(new RemoteMirror({ url: withUrl, gitdir }).fetch());
    await server.up();
    await server.down('refuse');
    await collect(mirror(work, gitdir, { token: TOKEN }).fetch());
    await server.up();
    const blocked = join(scratch, 'blocked');
    fs.writeFileSync(blocked, 'a file where the git dir should be');
    await collect(mirror(work, join(blocked, 'gitdir'), { token: TOKEN }).fetch());
  } finally {
    server.requireToken(null);
  }
  const classes = seen.map((e) => (e as object).constructor.name);
  assert.equal(classes, ['Object', 'RefNotFoundError', 'RemoteNotFoundError', 'RemoteAuthError', 'RemoteUnavailableError', 'RemoteUnavailableError', 'MirrorStorageError']);
  assert.instance(seen[6], MirrorStorageError);
  for (const item of seen) {
    const shown = [inspect(item, { depth: 8 }), JSON.stringify(item), item instanceof Error ? `${item.message}\n${item.stack}` : ''].join('\n');
    assert.not.ok(shown.includes(TOKEN), `the token leaked: ${shown}`);
    assert.not.ok(shown.includes(Buffer.from(`x-access-token:${TOKEN}`).toString('base64')), 'the Authorization header leaked');
  }
  const stored = await Promise.all(['config', 'FETCH_HEAD', 'packed-refs'].map((f) => readFile(join(gitdir, f), 'utf8').catch(() => '')));
  assert.not.ok(stored.join('\n').includes(TOKEN));
});

test('readSource reads an https(s) URL at a ref with the token from GITMESH_GIT_TOKEN, incrementally across calls', async () => {
  const { work, gitdir } = await fixture();
  await work.commit({ 'policies/a.yaml': 'a\n', 'README.md': 'x\n' }, 'first');
  await work.push();
  const second = await work.commit({ 'policies/a.yaml': 'a2\n' }, 'second');
  await work.push();
  server.requireToken(TOKEN);
  try {
    const read = await readSource({ src: work.url, ref: 'main', path: 'policies', env: { GITMESH_GIT_TOKEN: TOKEN }, cacheDir: gitdir });
    assert.is(read.commit, second);
    assert.equal(text(read), { 'a.yaml': 'a2\n' });
    server.resetLog();
    assert.is((await readSource({ src: work.url, env: { GITMESH_GIT_TOKEN: TOKEN }, cacheDir: gitdir })).commit, second);
    assert.equal(server.log.map((r) => r.method), ['GET'], 'HEAD resolved from the advertisement, no pack');
    await rejects(readSource({ src: work.url, env: {}, cacheDir: gitdir }), RemoteAuthError);
  } finally {
    server.requireToken(null);
  }
});

test('gitmesh snapshot --repo http://… compiles the remote tip, with the token from the environment', async () => {
  const work = await server.createRepo(`cli-${randomBytes(4).toString('hex')}`);
  const tip = await work.commit({ 'mesh.yaml': BASE_MESH }, 'a mesh');
  await work.push();
  server.requireToken(TOKEN);
  try {
    const run = await gitmesh(['snapshot', '--repo', work.url, '--proxy', 'default.backend-1', '--format', 'json'], process.cwd(), { GITMESH_GIT_TOKEN: TOKEN });
    assert.is(run.code, 0, run.stderr);
    assert.is((JSON.parse(run.stdout) as { commit: string }).commit, tip);
    assert.ok(fs.existsSync(join(defaultMirrorDir(work.url), 'HEAD')), 'mirrored into the default cache dir');
    const refused = await gitmesh(['snapshot', '--repo', work.url, '--proxy', 'default.backend-1'], process.cwd(), {});
    assert.is(refused.code, 2);
    assert.match(refused.stderr, /asks for credentials/);
  } finally {
    server.requireToken(null);
    await rm(defaultMirrorDir(work.url), { recursive: true, force: true });
  }
});

test.run();
