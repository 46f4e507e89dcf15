// Reading policy files from a real git repository at a ref, without a checkout.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { GitObjectCache, readRevision, RefNotFoundError, resolveCommit } from '../../src/source/git.js';
import { readSource, SourceUsageError } from '../../src/source/index.js';

const dir = mkdtempSync(join(tmpdir(), 'gitmesh-git-'));
const sh = (...args: string[]) =>
  execFileSync('git', args, { cwd: dir, env: { ...process.env, GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@x', GIT_COMMITTER_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@x' } }).toString().trim();
const decode = (files: { path: string; bytes: Uint8Array }[]) => Object.fromEntries(files.map((f) => [f.path, new TextDecoder().decode(f.bytes)]));

sh('init', '-q', '-b', 'main');
mkdirSync(join(dir, 'policies/nested'), { recursive: true });
writeFileSync(join(dir, 'mesh.yaml'), 'type: Mesh\nname: default\n');
writeFileSync(join(dir, 'policies/nested/t.yml'), 'v1\n');
writeFileSync(join(dir, 'README.md'), 'not a policy\n');
mkdirSync(join(dir, '.github'));
writeFileSync(join(dir, '.github/ci.yaml'), 'hidden\n');
symlinkSync('nested/t.yml', join(dir, 'policies/link.yaml'));
writeFileSync(join(dir, 'shared.txt'), 'type: Mesh\nname: shared\n');
symlinkSync('../shared.txt', join(dir, 'policies/shared.yaml'));
symlinkSync('../../../etc/passwd', join(dir, 'policies/escape.yaml'));
sh('add', '-A');
sh('commit', '-q', '-m', 'first');
const first = sh('rev-parse', 'HEAD');
sh('tag', '-a', 'v1', '-m', 'release 1');
writeFileSync(join(dir, 'policies/nested/t.yml'), 'v2\n');
sh('commit', '-q', '-am', 'second');
const second = sh('rev-parse', 'HEAD');
writeFileSync(join(dir, 'policies/nested/t.yml'), 'uncommitted\n');

test('reads the committed tree, not the work tree, skipping dot paths and non-YAML files', async () => {
  const rev = await readRevision({ dir, ref: 'main' });
  assert.is(rev.commit, second);
  assert.equal(decode(rev.files), { 'mesh.yaml': 'type: Mesh\nname: default\n', 'policies/nested/t.yml': 'v2\n', 'policies/shared.yaml': 'type: Mesh\nname: shared\n' });
});

test('a link to a policy file is read once, at the target; a link to another file is read under its own name', async () => {
  const rev = await readRevision({ dir, ref: 'main' });
  assert.not.ok(rev.files.some((f) => f.path === 'policies/link.yaml'));
  assert.ok(rev.files.some((f) => f.path === 'policies/shared.yaml'));
});

test('a link that leaves the repository is GM502 and is not read', async () => {
  const rev = await readRevision({ dir, ref: 'HEAD' });
  assert.equal(rev.diagnostics.map((d) => `${d.code} ${d.file}`), ['GM502 policies/escape.yaml']);
});

test('refs: branch, HEAD, annotated tag, full and short commit ids', async () => {
  assert.is(await resolveCommit(dir, 'HEAD'), second);
  assert.is(await resolveCommit(dir, 'v1'), first);
  assert.is(await resolveCommit(dir, first), first);
  assert.is(await resolveCommit(dir, first.slice(0, 7)), first);
  assert.equal(decode((await readRevision({ dir, ref: 'v1' })).files)['policies/nested/t.yml'], 'v1\n');
});

test('an unknown ref is RefNotFoundError', async () => {
  for (const ref of ['nope', 'deadbeefdeadbeef', 'refs/heads/gone']) {
    try {
      await resolveCommit(dir, ref);
      assert.unreachable(`${ref} resolved`);
    } catch (error) {
      assert.instance(error, RefNotFoundError, ref);
    }
  }
});

test('an object cache kept across commits reads the next commit exactly as a fresh read does', async () => {
  const objects = new GitObjectCache();
  const a = await readRevision({ dir, ref: first, objects });
  assert.equal(a, await readRevision({ dir, ref: first }));
  const b = await readRevision({ dir, ref: second, objects });
  assert.equal(b, await readRevision({ dir, ref: second }));
  assert.is(decode(b.files)['policies/nested/t.yml'], 'v2\n');
  const none = await readRevision({ dir, ref: second, objects: new GitObjectCache(0) });
  assert.equal(none, b, 'a cache of 0 bytes caches nothing and changes nothing');
});

test('--path narrows to a folder and makes paths relative to it', async () => {
  const rev = await readRevision({ dir, ref: 'main', path: 'policies' });
  assert.equal(Object.keys(decode(rev.files)), ['nested/t.yml', 'shared.yaml']);
});

test('readSource takes a git repository or a folder; a ref on a folder or a non-http(s) URL is a usage error', async () => {
  assert.is((await readSource({ src: dir, ref: 'v1' })).commit, first);
  const folder = await readSource({ src: join(dir, 'policies') });
  assert.is(folder.commit, null);
  assert.equal(decode(folder.files)['nested/t.yml'], 'uncommitted\n');
  for (const options of [{ src: join(dir, 'policies'), ref: 'main' }, { src: 'ssh://example.invalid/repo.git' }]) {
    try {
      await readSource(options);
      assert.unreachable();
    } catch (error) {
      assert.instance(error, SourceUsageError);
    }
  }
});

test.run();
