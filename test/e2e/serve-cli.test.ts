// `gitmesh serve` as a process: bad flags end it; an invalid source leaves it up and waiting; a fix is picked up by the watch.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { builtCli } from '../cli/binary.js';
import { BASE_MESH, gitmesh, tempRepo } from '../helpers/cli.js';

test('serve --help lists its flags', async () => {
  const run = await gitmesh(['serve', '--help']);
  assert.is(run.code, 0);
  for (const flag of ['--repo', '--ref', '--path', '--xds-port', '--http-port', '--state-dir', '--poll', '--no-watch', '--webhook-secret-file']) assert.ok(run.stdout.includes(flag), flag);
});

test('serve with a bad --xds-port or --poll exits 2', async () => {
  const dir = await tempRepo({ 'mesh.yaml': 'type: Mesh\nname: default\n' });
  const port = await gitmesh(['serve', '--repo', dir, '--xds-port', 'abc']);
  assert.is(port.code, 2);
  assert.match(port.stderr, /--xds-port/);
  const poll = await gitmesh(['serve', '--repo', dir, '--xds-port', '0', '--poll', 'often']);
  assert.is(poll.code, 2);
  assert.match(poll.stderr, /--poll/);
});

/** A running `gitmesh serve` process whose output can be waited on. */
function serveProcess(args: readonly string[]) {
  const child = spawn(process.execPath, [builtCli(), 'serve', ...args], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => void (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    async until(pattern: RegExp, what: 'stdout' | 'stderr'): Promise<void> {
      const deadline = Date.now() + 20_000;
      while (!pattern.test(what === 'stdout' ? stdout : stderr)) {
        if (Date.now() > deadline) throw new Error(`no ${pattern} in ${what} within 20 s:\n${stdout}\n${stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop(): Promise<number | null> {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

test('serve on an invalid folder logs the errors, stays up not ready, and applies the fix when the file is saved', async () => {
  const dir = await tempRepo({ 'mesh.yaml': 'type: Dataplane\nname: dp\nmesh: nowhere\n' });
  const serve = serveProcess(['--repo', dir, '--xds-port', '0', '--http-port', '0', '--poll', '0']);
  try {
    await serve.until(/revision rejected/, 'stderr');
    assert.match(serve.stderr, /GM201 mesh\.yaml:1:1/);
    await serve.until(/admin HTTP on http:\/\/[\d.]+:\d+/, 'stdout');
    assert.match(serve.stdout, /nothing to serve yet/);
    const admin = /admin HTTP on (http:\/\/[\d.]+:\d+)/.exec(serve.stdout)![1]!;
    assert.is((await fetch(`${admin}/readyz`)).status, 503, 'not ready while nothing is served');
    const rejected = (await (await fetch(`${admin}/api/v1/status`)).json()) as { state: string; rejected: { diagnostics: { code: string }[] } | null };
    assert.is(rejected.state, 'starting');
    assert.equal(rejected.rejected?.diagnostics.map((d) => d.code), ['GM201']);
    await writeFile(join(dir, 'mesh.yaml'), BASE_MESH);
    await serve.until(/"trigger":"watch".*"changed":1.*"msg":"revision applied"/, 'stderr');
    assert.is((await fetch(`${admin}/readyz`)).status, 200);
  } finally {
    assert.is(await serve.stop(), 0);
  }
  assert.match(serve.stderr, /SIGTERM, stopped/);
});

test.run();
