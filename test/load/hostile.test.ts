// Hostile inputs end as diagnostics naming the file, exit 1, never a crash, a hang or a stack trace.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, open, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Diagnostic } from '../../src/core/diagnostics.js';
import type { ValidationSummary } from '../../src/policies/validate-files.js';
import { builtCli } from '../cli/binary.js';
import { gitmesh, tempRepo } from '../helpers/cli.js';

const BASE = readFileSync('test/fixtures/base-mesh.yaml', 'utf8');
/** Resources in the base mesh: one Mesh and four Dataplanes. */
const BASE_RESOURCES = 5;
const encoder = new TextEncoder();
const created: string[] = [];

async function repo(files: Record<string, string | Uint8Array>): Promise<string> {
  const dir = await tempRepo({ 'base-mesh.yaml': BASE, ...files });
  created.push(dir);
  return dir;
}

interface Outcome {
  readonly code: number;
  readonly stderr: string;
  readonly diagnostics: Diagnostic[];
  readonly summary: ValidationSummary;
}

/** `gitmesh validate DIR --format json`, checked for what every hostile run must show. */
async function validate(dir: string, ...flags: string[]): Promise<Outcome> {
  const run = await gitmesh(['validate', dir, '--format', 'json', ...flags]);
  assert.is(run.stderr, '', 'nothing on stderr: no stack trace, no internal error');
  const parsed = JSON.parse(run.stdout) as { diagnostics: Diagnostic[]; summary: ValidationSummary };
  const onBase = parsed.diagnostics.filter((d) => d.file === 'base-mesh.yaml');
  assert.equal(onBase, [], 'the valid base beside the hostile file stays clean');
  return { code: run.code, stderr: run.stderr, ...parsed };
}

/** The run failed (exit 1) with diagnostics, all of them located in `file`; returns them. */
function only(outcome: Outcome, file: string): Diagnostic[] {
  assert.is(outcome.code, 1, 'a hostile input fails validation with exit 1');
  assert.ok(outcome.diagnostics.length > 0);
  for (const d of outcome.diagnostics) {
    assert.is(d.file, file, `every diagnostic names ${file}: ${JSON.stringify(d)}`);
    assert.ok(d.line >= 1 && d.column >= 1);
  }
  assert.is(outcome.summary.errors, outcome.diagnostics.filter((d) => d.severity === 'error').length);
  return outcome.diagnostics;
}

test('invalid YAML is GM101 at the line of the error', async () => {
  const dir = await repo({ 'broken.yaml': 'type: Mesh\nname: one\n---\ntype: Mesh\nname: two\nlabels:\n  team: a: b\n' });
  const diagnostics = only(await validate(dir), 'broken.yaml');
  assert.ok(diagnostics.every((d) => d.code === 'GM101'), JSON.stringify(diagnostics));
  assert.is(diagnostics[0]!.line, 7);
});

test('a binary file is GM106', async () => {
  const dir = await repo({ 'image.yaml': new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]) });
  const [d, ...rest] = only(await validate(dir), 'image.yaml');
  assert.equal(rest, []);
  assert.is(d!.code, 'GM106');
  assert.match(d!.message, /image\.yaml is a binary file/);
});

test('an alias bomb ("billion laughs") is GM103, not expanded', async () => {
  const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 10; i++) {
    const [prev, cur] = [String.fromCharCode(96 + i), String.fromCharCode(97 + i)];
    levels.push(`${cur}: &${cur} [${Array(9).fill(`*${prev}`).join(',')}]`);
  }
  const dir = await repo({ 'bomb.yaml': `type: Mesh\nname: lol\nlabels:\n${levels.map((l) => `  ${l}`).join('\n')}\n` });
  const [d, ...rest] = only(await validate(dir), 'bomb.yaml');
  assert.equal(rest, []);
  assert.is(d!.code, 'GM103');
  assert.match(d!.message, /aliases/);
});

test('a 50 MB file is GM107, naming its size and the limit', async () => {
  const dir = await repo({});
  await writeBigFile(join(dir, 'huge.yaml'), 50 * 1024 * 1024);
  const [d, ...rest] = only(await validate(dir), 'huge.yaml');
  assert.equal(rest, [], 'the file is not parsed');
  assert.is(d!.code, 'GM107');
  assert.match(d!.message, /huge\.yaml is 50\.0 MiB, over the 4\.0 MiB limit per file/);
});

test('--max-file-size moves the limit the message names', async () => {
  assert.ok(BASE.length < 2048);
  const dir = await repo({ 'big.yaml': `# ${'x'.repeat(3000)}\ntype: Mesh\nname: big\n` });
  const [d, ...rest] = only(await validate(dir, '--max-file-size', '2KiB'), 'big.yaml');
  assert.equal(rest, []);
  assert.is(d!.code, 'GM107');
  assert.match(d!.message, /over the 2\.0 KiB limit/);
});

test('10,000-deep flow nesting is GM104, for sequences and mappings', async () => {
  const dir = await repo({
    'seq.yaml': `type: Mesh\nname: a\nlabels: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`,
    'map.yaml': `type: Mesh\nname: b\nlabels: ${'{a: '.repeat(10_000)}1${'}'.repeat(10_000)}\n`,
  });
  const outcome = await validate(dir);
  assert.is(outcome.code, 1);
  assert.equal(outcome.diagnostics.map((d) => `${d.file} ${d.code} ${d.line}`), ['map.yaml GM104 3', 'seq.yaml GM104 3']);
});

test('10,000-deep block nesting is GM104: compact sequences, and indented mappings past the size limit', async () => {
  const dir = await repo({ 'compact.yaml': `${'- '.repeat(10_000)}1\n` });
  const [d, ...rest] = only(await validate(dir), 'compact.yaml');
  assert.equal(rest, []);
  assert.is(d!.code, 'GM104');
  // One more space per level: 10,000 levels are 50 MB, so raise the size limit to reach the parser.
  const indented = await repo({});
  const handle = await open(join(indented, 'indented.yaml'), 'w');
  for (let chunk = 0; chunk < 10; chunk++) {
    const lines: string[] = [];
    for (let i = chunk * 1000; i < (chunk + 1) * 1000; i++) lines.push(`${' '.repeat(i)}k:\n`);
    await handle.write(lines.join(''));
  }
  await handle.write(`${' '.repeat(10_000)}v\n`);
  await handle.close();
  const deep = only(await validate(indented, '--max-file-size', '64MiB'), 'indented.yaml');
  assert.equal(deep.map((x) => x.code), ['GM104']);
});

test('a symbolic link to a file or folder outside the repository is GM502 and is not read', async () => {
  const outside = await mkdtemp(join(tmpdir(), 'gitmesh-outside-'));
  created.push(outside);
  await writeFile(join(outside, 'secret.yaml'), 'type: Mesh\nname: outside\n');
  const dir = await repo({});
  await symlink(join(outside, 'secret.yaml'), join(dir, 'link.yaml'));
  await symlink(outside, join(dir, 'linked-folder'));
  const outcome = await validate(dir);
  assert.equal(outcome.diagnostics.map((d) => `${d.file} ${d.code}`), ['link.yaml GM502', 'linked-folder GM502']);
  assert.is(outcome.code, 1);
  assert.match(outcome.diagnostics[0]!.message, /outside the repository/);
  assert.is(outcome.summary.resources, BASE_RESOURCES, 'nothing outside was loaded');
});

test('symbolic link loops inside the repository terminate, and each file is read once', async () => {
  const dir = await repo({ 'sub/extra.yaml': 'type: Mesh\nname: extra\n' });
  await symlink('..', join(dir, 'sub', 'up'));
  await symlink('.', join(dir, 'self'));
  await symlink('loop-b.yaml', join(dir, 'loop-a.yaml'));
  await symlink('loop-a.yaml', join(dir, 'loop-b.yaml'));
  const outcome = await validate(dir);
  assert.is(outcome.code, 0, JSON.stringify(outcome.diagnostics));
  assert.equal(outcome.summary.files, 2);
  assert.is(outcome.summary.resources, BASE_RESOURCES + 1);
});

test('non-UTF-8 bytes are GM105 at the line and column of the first bad byte', async () => {
  const latin1 = Buffer.from('type: Mesh\nname: m\nlabels:\n  city: Zürich\n', 'latin1');
  const [d, ...rest] = only(await validate(await repo({ 'latin1.yaml': latin1 })), 'latin1.yaml');
  assert.equal(rest, []);
  assert.is(d!.code, 'GM105');
  assert.equal([d!.line, d!.column], [4, 10]);
  assert.match(d!.message, /0xfc/);
});

test('an empty repository is GM501 with exit 1', async () => {
  const empty = await tempRepo({});
  created.push(empty);
  const outcome = await validate(empty);
  assert.is(outcome.code, 1);
  assert.equal(outcome.diagnostics.map((d) => `${d.file} ${d.code}`), ['. GM501']);
  // Files that are not policy files do not count: hidden folders and other extensions.
  const noPolicies = await tempRepo({ 'README.md': '# hi\n', '.github/ci.yaml': 'type: Mesh\nname: x\n', 'notes.txt': 'x' });
  created.push(noPolicies);
  const other = await validate(noPolicies);
  assert.is(other.code, 1);
  assert.equal(other.diagnostics.map((d) => d.code), ['GM501']);
  assert.equal(other.summary.files, 0);
});

test('a document that is a scalar or a list is GM108', async () => {
  const dir = await repo({ 'odd.yaml': 'just a sentence\n---\n- type: Mesh\n  name: listed\n' });
  const diagnostics = only(await validate(dir), 'odd.yaml');
  assert.equal(diagnostics.map((d) => `${d.code} ${d.line}`), ['GM108 1', 'GM108 3']);
});

test('a document with no type is GM200', async () => {
  const dir = await repo({ 'untyped.yaml': 'type: Mesh\nname: fine\n---\nname: no-type\nspec: {}\n' });
  const [d, ...rest] = only(await validate(dir), 'untyped.yaml');
  assert.equal(rest, []);
  assert.equal([d!.code, d!.line], ['GM200', 4]);
});

test('duplicate keys are GM102 at the second key', async () => {
  const dir = await repo({ 'dup.yaml': 'type: Mesh\nname: first\nname: second\n' });
  const [d, ...rest] = only(await validate(dir), 'dup.yaml');
  assert.equal(rest, []);
  assert.equal([d!.code, d!.line, d!.column], ['GM102', 3, 1]);
});

test('a __proto__ key is an unknown field of the document, never a prototype', async () => {
  const dir = await repo({ 'proto.yaml': 'type: Mesh\nname: proto\n__proto__:\n  polluted: true\n' });
  const [d, ...rest] = only(await validate(dir), 'proto.yaml');
  assert.equal(rest, []);
  assert.equal([d!.code, d!.line], ['GM202', 3]);
  assert.is(({} as Record<string, unknown>).polluted, undefined);
});

test('a mapping with 100,000 distinct keys ends in diagnostics (duplicate-key and position lookups stay linear)', async () => {
  const keys = Array.from({ length: 100_000 }, (_, i) => `k${i}: 1`).join('\n');
  const dir = await repo({ 'wide.yaml': `type: Mesh\nname: wide\nk99999: 0\n${keys}\n` });
  const diagnostics = only(await validate(dir), 'wide.yaml');
  assert.equal(diagnostics.map((d) => `${d.code} ${d.line}`), ['GM102 100003']);
});

test('a file of 200,000 documents is refused with one GM110 naming the per-file limit', async () => {
  const dir = await repo({ 'many.yaml': '---\n{}\n'.repeat(200_000) });
  const [d, ...rest] = only(await validate(dir), 'many.yaml');
  assert.equal(rest, [], 'one diagnostic, not one per document');
  assert.is(d!.code, 'GM110');
  assert.match(d!.message, /more than 10000 YAML documents/);
});

test('a file of 5,000 valid documents, under the limit, validates', async () => {
  const docs = Array.from({ length: 5000 }, (_, i) => `type: Dataplane
name: dp-${i}
mesh: default
networking:
  address: 10.1.${Math.floor(i / 250)}.${i % 250}
  inbound:
    - port: 8080
      tags:
        kuma.io/service: web
`);
  const outcome = await validate(await repo({ 'many.yaml': docs.join('---\n') }));
  assert.is(outcome.code, 0, JSON.stringify(outcome.diagnostics.slice(0, 3)));
  assert.is(outcome.summary.resources, BASE_RESOURCES + 5000);
});

test('the built binary fails a hostile folder with exit 1 and no stack trace', async () => {
  const main = builtCli();
  const dir = await repo({
    'bomb.yaml': 'a: &a [x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c]\n',
    'binary.yaml': new Uint8Array([0, 1, 2, 3]),
    'deep.yaml': '['.repeat(1_000_000),
    'latin1.yaml': Buffer.from('name: caf\xe9\n', 'latin1'),
    'many.yaml': '---\n{}\n'.repeat(20_000),
    'scalar.yaml': '42\n',
  });
  const run = spawnSync(process.execPath, [main, 'validate', '.'], { cwd: dir, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } });
  assert.is(run.error, undefined);
  assert.is(run.status, 1, run.stderr);
  assert.not.match(run.stderr, /^\s+at /m, 'no stack trace');
  assert.not.match(run.stderr, /internal error/);
  for (const [file, code] of [['bomb', 'GM103'], ['binary', 'GM106'], ['deep', 'GM104'], ['latin1', 'GM105'], ['many', 'GM110'], ['scalar', 'GM108']]) {
    assert.match(run.stdout, new RegExp(`^${file}\\.yaml:\\d+:\\d+: error ${code} `, 'm'), `${file}.yaml → ${code}\n${run.stdout}`);
  }
});

test('the built binary does not read an oversized file into memory', async () => {
  const main = builtCli();
  // Peak RSS of the real process, reported as it exits: a small repository, then one with a
  // 50 MB file beside it. Reading the file would add at least its size.
  const peak = (dir: string) => {
    const hook = `data:text/javascript,process.on('exit',()=>process.stderr.write('maxrss='+process.resourceUsage().maxRSS))`;
    const run = spawnSync(process.execPath, ['--import', hook, main, 'validate', dir], { encoding: 'utf8', timeout: 120_000 });
    const kib = Number(/maxrss=(\d+)/.exec(run.stderr)?.[1]);
    assert.ok(kib > 0, run.stderr);
    return { status: run.status, mib: kib / 1024, stdout: run.stdout };
  };
  const small = peak(await repo({}));
  const bigDir = await repo({});
  await writeBigFile(join(bigDir, 'huge.yaml'), 50 * 1024 * 1024);
  const big = peak(bigDir);
  assert.is(small.status, 0);
  assert.is(big.status, 1);
  assert.match(big.stdout, /GM107/);
  assert.ok(big.mib - small.mib < 25, `peak RSS grew by ${(big.mib - small.mib).toFixed(1)} MiB for a file that must not be read`);
});

test.after(async () => {
  await Promise.all(created.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Writes a file of `size` bytes of YAML comments (real bytes, not a sparse file). */
async function writeBigFile(path: string, size: number): Promise<void> {
  const line = encoder.encode(`# ${'padding '.repeat(12)}\n`);
  const chunk = new Uint8Array(1024 * 1024 - ((1024 * 1024) % line.length));
  for (let i = 0; i < chunk.length; i += line.length) chunk.set(line, i);
  const handle = await open(path, 'w');
  let written = 0;
  while (written < size) {
    const n = Math.min(chunk.length, size - written);
    await handle.write(chunk, 0, n);
    written += n;
  }
  await handle.close();
}

test.run();
