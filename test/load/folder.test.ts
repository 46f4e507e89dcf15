// readFolder: which files are read, in what order, and the limits that bound a hostile tree.
import { execFileSync } from 'node:child_process';
import { rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SourceNotFoundError } from '../../src/source/errors.js';
import { readFolder } from '../../src/source/folder.js';
import { DEFAULT_LIMITS } from '../../src/source/types.js';
import { tempRepo } from '../helpers/cli.js';

const created: string[] = [];
async function repo(files: Record<string, string | Uint8Array>): Promise<string> {
  const dir = await tempRepo(files);
  created.push(dir);
  return dir;
}
const decoder = new TextDecoder();
const summary = (read: Awaited<ReturnType<typeof readFolder>>) => ({
  files: read.files.map((f) => f.path),
  diagnostics: read.diagnostics.map((d) => `${d.code} ${d.file}`),
});

test('reads *.yaml and *.yml files in every folder, sorted by path, skipping dot paths and other files', async () => {
  const dir = await repo({
    'b.yaml': 'b',
    'a.yml': 'a',
    'sub/deeper/c.YAML': 'c',
    'sub/readme.md': 'x',
    '.hidden.yaml': 'x',
    '.git/config.yaml': 'x',
    'sub/.cache/d.yaml': 'x',
  });
  const read = await readFolder(dir);
  assert.equal(summary(read), { files: ['a.yml', 'b.yaml', 'sub/deeper/c.YAML'], diagnostics: [] });
  assert.is(decoder.decode(read.files[2]!.bytes), 'c');
});

test('a missing root is a SourceNotFoundError; so is a file given as the root', async () => {
  const dir = await repo({ 'a.yaml': 'a' });
  for (const root of [join(dir, 'missing'), join(dir, 'a.yaml')]) {
    try {
      await readFolder(root);
      assert.unreachable('must throw');
    } catch (error) {
      assert.instance(error, SourceNotFoundError);
      assert.is((error as SourceNotFoundError).code, 'SourceNotFound');
    }
  }
});

test('a file over maxFileSize is GM107 and not read; the others are', async () => {
  const dir = await repo({ 'small.yaml': 'x'.repeat(10), 'big.yaml': 'x'.repeat(101) });
  const read = await readFolder(dir, { ...DEFAULT_LIMITS, maxFileSize: 100 });
  assert.equal(summary(read), { files: ['small.yaml'], diagnostics: ['GM107 big.yaml'] });
  assert.match(read.diagnostics[0]!.message, /big\.yaml is 101 B, over the 100 B limit per file/);
  const exact = await readFolder(dir, { ...DEFAULT_LIMITS, maxFileSize: 101 });
  assert.equal(summary(exact).files, ['big.yaml', 'small.yaml'], 'a file of exactly the limit is read');
});

test('more files than maxFiles is GM504, reading stops, and the same tree gives the same result', async () => {
  const dir = await repo(Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`d${i % 3}/f${i}.yaml`, `${i}`])));
  const limits = { ...DEFAULT_LIMITS, maxFiles: 4 };
  const first = summary(await readFolder(dir, limits));
  assert.is(first.files.length, 4);
  assert.equal(first.diagnostics.length, 1);
  assert.match(first.diagnostics[0]!, /^GM504 /);
  assert.equal(summary(await readFolder(dir, limits)), first);
});

test('more bytes than maxTotalSize in all is GM504 and reading stops', async () => {
  const dir = await repo({ 'a.yaml': 'x'.repeat(60), 'b.yaml': 'x'.repeat(60), 'c.yaml': 'x'.repeat(60) });
  const read = await readFolder(dir, { ...DEFAULT_LIMITS, maxTotalSize: 150 });
  assert.equal(summary(read), { files: ['a.yaml', 'b.yaml'], diagnostics: ['GM504 c.yaml'] });
  assert.match(read.diagnostics[0]!.message, /exceed 150 B in all/);
});

test('a FIFO named like a policy file is skipped, not read (reading it would block forever)', async () => {
  const dir = await repo({ 'a.yaml': 'a' });
  execFileSync('mkfifo', [join(dir, 'pipe.yaml')]);
  assert.equal(summary(await readFolder(dir)), { files: ['a.yaml'], diagnostics: [] });
});

test('a link to a policy file or folder the walk reaches is read once, at the target; a link to another file under its own name; a dangling link is skipped', async () => {
  const dir = await repo({ 'real/a.yaml': 'a', 'shared/b.txt': 'b', '.hidden/c.yaml': 'c' });
  await symlink(join(dir, 'real', 'a.yaml'), join(dir, 'alias.yaml'));
  await symlink(join(dir, 'real'), join(dir, 'alias-dir'));
  await symlink(join(dir, 'shared', 'b.txt'), join(dir, 'b.yaml'));
  await symlink(join(dir, '.hidden', 'c.yaml'), join(dir, 'c.yaml'));
  await symlink(join(dir, 'nowhere.yaml'), join(dir, 'dangling.yaml'));
  const read = await readFolder(dir);
  assert.equal(summary(read), { files: ['b.yaml', 'c.yaml', 'real/a.yaml'], diagnostics: [] });
  assert.equal(read.files.map((f) => decoder.decode(f.bytes)), ['b', 'c', 'a']);
});

test('a link to an outside folder is GM502 even when it is not named like a policy file', async () => {
  const outside = await repo({ 'x.yaml': 'x' });
  const dir = await repo({ 'a.yaml': 'a' });
  await symlink(outside, join(dir, 'vendor'));
  await symlink(join(outside, 'x.yaml'), join(dir, 'x.txt'));
  assert.equal(summary(await readFolder(dir)), { files: ['a.yaml'], diagnostics: ['GM502 vendor', 'GM502 x.txt'] });
});

test('many files are all read, yielding to the event loop as it goes', async () => {
  const dir = await repo(Object.fromEntries(Array.from({ length: 640 }, (_, i) => [`p/${String(i).padStart(3, '0')}.yaml`, `n: ${i}\n`])));
  // A callback that re-queues itself runs once per event-loop turn: it counts the turns the
  // read gave back. Without yields there would be only the two of the initial realpath/stat.
  let turns = 0;
  let done = false;
  const tick = () => {
    if (done) return;
    turns++;
    setImmediate(tick);
  };
  setImmediate(tick);
  const read = await readFolder(dir);
  done = true;
  assert.is(read.files.length, 640);
  assert.is(decoder.decode(read.files[639]!.bytes), 'n: 639\n');
  assert.ok(turns >= 640 / 64, `${turns} event-loop turns while reading 640 files`);
});

test.after(async () => {
  await Promise.all(created.map((dir) => rm(dir, { recursive: true, force: true })));
});

test.run();
