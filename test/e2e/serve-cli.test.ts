// `gitmesh serve`: the paths that end without a signal (bad flags, an invalid source).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gitmesh, tempRepo } from '../helpers/cli.js';

test('serve --help lists its flags', async () => {
  const run = await gitmesh(['serve', '--help']);
  assert.is(run.code, 0);
  for (const flag of ['--repo', '--ref', '--path', '--xds-port']) assert.ok(run.stdout.includes(flag), flag);
});

test('serve with a bad --xds-port exits 2', async () => {
  const dir = await tempRepo({ 'mesh.yaml': 'type: Mesh\nname: default\n' });
  const run = await gitmesh(['serve', '--repo', dir, '--xds-port', 'abc']);
  assert.is(run.code, 2);
  assert.match(run.stderr, /--xds-port/);
});

test('serve on an invalid folder prints the errors and exits 1 without serving', async () => {
  const dir = await tempRepo({ 'mesh.yaml': 'type: Dataplane\nname: dp\nmesh: nowhere\n' });
  const run = await gitmesh(['serve', '--repo', dir, '--xds-port', '0']);
  assert.is(run.code, 1);
  assert.match(run.stderr, /nothing of it is served/);
  assert.is(run.stdout, '');
});

test.run();
