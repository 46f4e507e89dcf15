// `gitmesh snapshot` and `gitmesh inspect` on real repositories: folders and git refs.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gitmesh } from '../helpers/cli.js';

interface SnapshotJson {
  proxy: string;
  flavour: string;
  commit: string | null;
  versions: Record<string, string>;
  resources: Record<string, { '@type': string; name?: string; cluster_name?: string }[]>;
}

const KEYS = ['listeners', 'clusters', 'endpoints', 'routes', 'secrets'];

/** A git repository holding example-repo, with a second commit that changes one outbound timeout. */
function exampleGitRepo(): { dir: string; first: string; second: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gitmesh-cli-'));
  cpSync('example-repo', dir, { recursive: true });
  const git = (...args: string[]) =>
    execFileSync('git', args, { cwd: dir, env: { ...process.env, GIT_AUTHOR_NAME: 'a', GIT_AUTHOR_EMAIL: 'a@x', GIT_COMMITTER_NAME: 'a', GIT_COMMITTER_EMAIL: 'a@x' } }).toString().trim();
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'example');
  const first = git('rev-parse', 'HEAD');
  const timeouts = join(dir, 'policies/timeouts.yaml');
  const text = readFileSync(timeouts, 'utf8');
  assert.match(text, /connectionTimeout: 5s/);
  writeFileSync(timeouts, text.replace('connectionTimeout: 5s', 'connectionTimeout: 3s'));
  git('commit', '-q', '-am', 'faster connect timeout');
  return { dir, first, second: git('rev-parse', 'HEAD') };
}

test('snapshot --format json has the documented shape, with @type on every resource', async () => {
  const run = await gitmesh(['snapshot', '--repo', 'example-repo', '--proxy', 'default.frontend-1', '--format', 'json']);
  assert.is(run.code, 0, run.stderr);
  const out = JSON.parse(run.stdout) as SnapshotJson;
  assert.equal(Object.keys(out).slice(0, 6), ['proxy', 'flavour', 'commit', 'versions', 'resources', 'notes']);
  assert.equal([out.proxy, out.flavour, out.commit], ['default.frontend-1', 'envoy', null]);
  assert.equal(Object.keys(out.versions).sort(), [...KEYS].sort());
  for (const version of Object.values(out.versions)) assert.match(version, /^[0-9a-f]{16}$/);
  assert.ok(out.resources.listeners!.length >= 2 && out.resources.clusters!.length >= 2);
  for (const [key, list] of Object.entries(out.resources)) for (const r of list) assert.match(r['@type'], /^type\.googleapis\.com\/envoy\./, key);
});

test('the proxyless Dataplane is the grpc flavour unless --flavour says otherwise', async () => {
  const grpc = JSON.parse((await gitmesh(['snapshot', '--repo', 'example-repo', '--proxy', 'default.inventory-sync-1', '--format', 'json'])).stdout) as SnapshotJson;
  assert.is(grpc.flavour, 'grpc');
  assert.ok(grpc.resources.listeners!.some((l) => l.name === 'inventory'), 'an api_listener named by the target');
  const envoy = JSON.parse((await gitmesh(['snapshot', '--repo', 'example-repo', '--proxy', 'default.inventory-sync-1', '--flavour', 'envoy', '--format', 'json'])).stdout) as SnapshotJson;
  assert.is(envoy.flavour, 'envoy');
  assert.not.equal(envoy.versions.listeners, grpc.versions.listeners);
});

test('snapshot at two commits: a changed timeout changes the cluster version only, and the commit is reported', async () => {
  const { dir, first, second } = exampleGitRepo();
  const at = async (ref: string) => JSON.parse((await gitmesh(['snapshot', '--repo', dir, '--ref', ref, '--proxy', 'default.frontend-1', '--format', 'json'])).stdout) as SnapshotJson;
  const [a, b, head] = [await at(first.slice(0, 8)), await at('main'), await at('HEAD')];
  assert.equal([a.commit, b.commit], [first, second]);
  assert.equal(head.versions, b.versions);
  assert.not.equal(a.versions.clusters, b.versions.clusters);
  for (const key of ['listeners', 'routes', 'endpoints', 'secrets']) assert.is(a.versions[key], b.versions[key], key);
});

test('the same tree gives the same versions whichever commit or folder carries it', async () => {
  const { dir, first } = exampleGitRepo();
  const fromGit = JSON.parse((await gitmesh(['snapshot', '--repo', dir, '--ref', first, '--proxy', 'default.orders-v1-1', '--format', 'json'])).stdout) as SnapshotJson;
  const fromFolder = JSON.parse((await gitmesh(['snapshot', '--repo', 'example-repo', '--proxy', 'default.orders-v1-1', '--format', 'json'])).stdout) as SnapshotJson;
  assert.equal(fromGit.versions, fromFolder.versions);
  assert.equal(fromGit.resources, fromFolder.resources);
});

test('errors: unknown proxy and invalid repository exit 1; unknown ref exits 2; no stack traces', async () => {
  const unknown = await gitmesh(['snapshot', '--repo', 'example-repo', '--proxy', 'default.nope']);
  assert.is(unknown.code, 1);
  assert.match(unknown.stderr, /no Dataplane default\.nope/);
  const broken = mkdtempSync(join(tmpdir(), 'gitmesh-cli-'));
  writeFileSync(join(broken, 'x.yaml'), 'type: Mesh\nname: default\nbogus: 1\n');
  const invalid = await gitmesh(['inspect', 'default.x', '--repo', broken]);
  assert.is(invalid.code, 1);
  assert.match(invalid.stderr, /GM202/);
  const { dir } = exampleGitRepo();
  const badRef = await gitmesh(['snapshot', '--repo', dir, '--ref', 'no-such-branch', '--proxy', 'default.frontend-1']);
  assert.is(badRef.code, 2);
  assert.match(badRef.stderr, /no-such-branch/);
  for (const run of [unknown, invalid, badRef]) assert.not.match(run.stderr, /\n\s+at /);
});

test('inspect names the policies that matched each inbound and outbound, and what won', async () => {
  const text = await gitmesh(['inspect', 'default.frontend-1', '--repo', 'example-repo']);
  assert.is(text.code, 0, text.stderr);
  assert.match(text.stdout, /^default\.frontend-1 \(Envoy sidecar\)/);
  assert.match(text.stdout, /inbound http 127\.0\.0\.11:8080/);
  assert.match(text.stdout, /MeshTimeout: .*"connectionTimeout":"5s"/);
  assert.match(text.stdout, /from mesh-outbound-defaults to\[0\] \[Mesh → to Mesh\] \(policies\/timeouts\.yaml\)/);
  const json = JSON.parse((await gitmesh(['inspect', 'default.frontend-1', '--repo', 'example-repo', '--format', 'json'])).stdout) as { resolved: { outbounds: { outbound: { service: string } }[] } };
  assert.ok(json.resolved.outbounds.some((o) => o.outbound.service === 'api'));
});

test('validate compiles every proxy: what a flavour cannot express is a warning at the policy entry, and can be suppressed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gitmesh-cli-'));
  const policy = (annotation: string) => `type: MeshTimeout
name: idle
mesh: default
${annotation}spec:
  targetRef: {kind: Mesh}
  to:
    - targetRef: {kind: Mesh}
      default: {idleTimeout: 10m}
`;
  writeFileSync(join(dir, 'mesh.yaml'), readFileSync('test/fixtures/base-mesh.yaml', 'utf8').replace('name: web-1\nmesh: default\nlabels:\n', 'name: web-1\nmesh: default\nlabels:\n  gitmesh.io/proxyless: "true"\n'));
  writeFileSync(join(dir, 'timeouts.yaml'), policy(''));
  const json = JSON.parse((await gitmesh(['validate', dir, '--format', 'json'])).stdout) as { diagnostics: { code: string; file: string; line: number; message: string }[] };
  const notes = json.diagnostics.filter((d) => d.code === 'GM401');
  assert.ok(notes.length > 0, JSON.stringify(json.diagnostics));
  assert.equal([notes[0]!.file, notes[0]!.line], ['timeouts.yaml', 7]);
  assert.match(notes[0]!.message, /idleTimeout .*proxyless gRPC clients.* on proxy default\.web-1$/);
  writeFileSync(join(dir, 'timeouts.yaml'), policy('annotations:\n  gitmesh.io/lint-suppress: "GM401: web ignores it, on purpose"\n'));
  const suppressed = await gitmesh(['validate', dir]);
  assert.is(suppressed.code, 0);
  assert.not.match(suppressed.stdout, /GM401/);
  assert.match(suppressed.stdout, /suppressed/);
});

test.run();
