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
  for (const flag of ['--repo', '--ref', '--path', '--xds-port', '--state-dir', '--poll', '--no-watch']) assert.ok(run.stdout.includes(flag), flag);
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

test('serve on an invalid folder prints the errors, stays up serving nothing, and applies the fix when the file is saved', async () => {
  const dir = await tempRepo({ 'mesh.yaml': 'type: Dataplane\nname: dp\nmesh: nowhere\n' });
  const serve = serveProcess(['--repo', dir, '--xds-port', '0', '--poll', '0']);
  try {
    await serve.until(/waiting for a valid revision/, 'stderr');
    assert.match(serve.stderr, /mesh\.yaml:1:1: error GM201/);
    await serve.until(/nothing to serve yet/, 'stdout');
    await writeFile(join(dir, 'mesh.yaml'), BASE_MESH);
    await serve.until(/applied \(watch\): 1 proxies changed/, 'stderr');
  } finally {
    assert.is(await serve.stop(), 0);
  }
  assert.match(serve.stderr, /SIGTERM, stopped/);
});

test.run();
