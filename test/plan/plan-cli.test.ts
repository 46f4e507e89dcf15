// `gitmesh plan` on real git repositories of example-repo: golden text, JSON and Markdown per change, a live base, exit codes.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { runCli } from '../../src/cli/main.js';
import type { Plan } from '../../src/plan/plan.js';
import { startServing } from '../../src/reconcile/serve.js';
import { gitmesh } from '../helpers/cli.js';
import { assertGoldenText } from '../helpers/golden.js';
import { exampleChangesRepo, type ChangeName } from './example-changes.js';

const GOLDEN = 'test/plan/golden';
const repo = exampleChangesRepo();

/** Output with commit ids (full or short) named by branch, and the temp dir and admin address hidden: nothing machine-specific. */
function normalise(text: string, admin?: string): string {
  let out = text;
  for (const [name, commit] of [['main', repo.main], ...Object.entries(repo.commits)] as [string, string][]) {
    out = out.replaceAll(commit, `<${name}>`).replaceAll(commit.slice(0, 12), `<${name}>`);
  }
  if (admin) out = out.replaceAll(admin, '<admin>');
  return out.replaceAll(repo.dir, '<repo>');
}

const FORMATS = { text: 'txt', json: 'json', markdown: 'md' } as const;

const CASES: { change: ChangeName; code: number }[] = [
  { change: 'route-weight', code: 3 },
  { change: 'new-policy', code: 3 },
  { change: 'deleted-service', code: 3 },
  { change: 'reformat', code: 0 },
  { change: 'targets-nothing', code: 3 },
];

for (const { change, code } of CASES) {
  test(`plan of the ${change} change against main matches its goldens in every format and exits ${code}`, async () => {
    for (const [format, ext] of Object.entries(FORMATS)) {
      const run = await gitmesh(['plan', '--repo', repo.dir, '--ref', change, '--base', 'main', '--format', format]);
      assert.is(run.code, code, `${format}: ${run.stderr}`);
      assert.is(run.stderr, '');
      assert.not.ok(run.stdout.includes(repo.dir), 'no temp path in the output');
      assertGoldenText(join(GOLDEN, `${change}.${ext}`), normalise(run.stdout));
    }
  });
}

test('the route weight change: the policy field and the route field, on the api proxies only', async () => {
  const plan = JSON.parse((await gitmesh(['plan', '--repo', repo.dir, '--ref', 'route-weight', '--base', 'main', '--format', 'json'])).stdout) as Plan;
  assert.equal(
    plan.resources?.map((r) => [r.kind, r.name, r.change, r.fields?.map((f) => [f.path, f.before, f.after])]),
    [['MeshHTTPRoute', 'orders-canary', 'changed', [['spec.to[0].rules[1].default.backendRefs[0].weight', 90, 80], ['spec.to[0].rules[1].default.backendRefs[1].weight', 10, 20]]]],
  );
  assert.equal(plan.proxies.map((p) => p.id), ['default.api-1', 'default.api-2']);
  assert.equal(plan.proxies[0]!.xds.map((x) => [x.type, x.name, x.change]), [['routes', 'outbound:orders', 'changed']]);
  assert.equal(Object.keys(plan.proxies[0]!.versions), ['routes']);
  assert.equal(plan.totals.proxies, { added: 0, changed: 2, removed: 0, unchanged: 12 });
  assert.equal([plan.desired.commit, plan.base.commit, plan.base.live], [repo.commits['route-weight'], repo.main, null]);
});

test('the deleted service: its proxy is removed and its clients lose the endpoints', async () => {
  const plan = JSON.parse((await gitmesh(['plan', '--repo', repo.dir, '--ref', 'deleted-service', '--base', 'main', '--format', 'json'])).stdout) as Plan;
  assert.equal(plan.resources?.map((r) => `${r.change} ${r.kind}/${r.name}`), ['removed Dataplane/redis-1']);
  const removed = plan.proxies.find((p) => p.id === 'default.redis-1');
  assert.is(removed?.change, 'removed');
  assert.ok(removed!.xds.every((x) => x.change === 'removed'));
  assert.equal(removed!.versions.listeners?.desired, null);
  const client = plan.proxies.find((p) => p.id === 'default.api-1');
  assert.equal(client?.xds.map((x) => `${x.change} ${x.type}/${x.name}`), ['changed endpoints/redis']);
});

test('a plan against a live gitmesh serving main equals the plan against main, bar the base', async () => {
  const serving = await startServing({ repo: repo.dir, ref: 'main', xdsPort: 0, host: '127.0.0.1', httpPort: 0 });
  try {
    const admin = serving.admin!.address;
    const url = `http://${admin}`;
    for (const change of ['route-weight', 'deleted-service', 'reformat'] as const) {
      const live = await gitmesh(['plan', '--repo', repo.dir, '--ref', change, '--live', url, '--format', 'json']);
      const base = await gitmesh(['plan', '--repo', repo.dir, '--ref', change, '--base', 'main', '--format', 'json']);
      assert.is(live.code, base.code, live.stderr);
      const liveJson = JSON.parse(live.stdout) as Plan;
      const baseJson = JSON.parse(base.stdout) as Plan;
      assert.equal(liveJson.base, { ref: null, commit: repo.main, live: url });
      assert.equal({ ...liveJson, base: null }, { ...baseJson, base: null }, change);
    }
    const text = await gitmesh(['plan', '--repo', repo.dir, '--ref', 'route-weight', '--live', `${url}/`]);
    assert.is(text.code, 3, text.stderr);
    assertGoldenText(join(GOLDEN, 'route-weight.live.txt'), normalise(text.stdout, admin));
    // The env twin, and the snapshot URL itself, work too.
    const env = await gitmesh(['plan', '--repo', repo.dir, '--ref', 'route-weight', '--format', 'json'], process.cwd(), { GITMESH_LIVE: `${url}/api/v1/snapshot` });
    assert.is(env.code, 3, env.stderr);
    assert.is((JSON.parse(env.stdout) as Plan).base.live, url);
  } finally {
    await serving.close();
  }
});

test('a folder planned against a live gitmesh serving the same tree: no change, resources not compared', async () => {
  const serving = await startServing({ repo: repo.dir, ref: 'main', xdsPort: 0, host: '127.0.0.1', httpPort: 0 });
  try {
    const run = await gitmesh(['plan', '--repo', 'example-repo', '--live', `http://${serving.admin!.address}`, '--format', 'json']);
    assert.is(run.code, 0, run.stderr);
    const plan = JSON.parse(run.stdout) as Plan;
    assert.equal([plan.changed, plan.resources, plan.totals.resources, plan.desired.commit], [false, null, null, null]);
    assert.is(plan.totals.proxies.unchanged, 14);
    assert.match(plan.notes[0]!, /SRC is a folder/);
  } finally {
    await serving.close();
  }
});

test('an invalid desired state exits 1 with the diagnostics, rendered as validate does in text and JSON, as a table in Markdown', async () => {
  const text = await gitmesh(['plan', '--repo', repo.dir, '--ref', 'invalid', '--base', 'main']);
  assert.is(text.code, 1);
  assert.match(text.stdout, /policies\/timeouts\.yaml:\d+:\d+: error GM202/);
  assert.match(text.stderr, /is invalid; nothing to plan/);
  const json = await gitmesh(['plan', '--repo', repo.dir, '--ref', 'invalid', '--base', 'main', '--format', 'json']);
  assert.is(json.code, 1);
  const parsed = JSON.parse(json.stdout) as { diagnostics: { code: string }[]; summary: { errors: number } };
  assert.equal([parsed.diagnostics[0]?.code, parsed.summary.errors], ['GM202', 1]);
  const markdown = await gitmesh(['plan', '--repo', repo.dir, '--ref', 'invalid', '--base', 'main', '--format', 'markdown']);
  assert.is(markdown.code, 1);
  assert.match(markdown.stdout, /^### gitmesh plan\n/);
  assert.match(markdown.stdout, /\| `policies\/timeouts\.yaml:\d+:\d+` \| GM202 \|/);
});

test('an invalid base exits 1 and says why; the desired state is not at fault', async () => {
  const run = await gitmesh(['plan', '--repo', repo.dir, '--ref', 'main', '--base', 'invalid']);
  assert.is(run.code, 1);
  assert.is(run.stdout, '');
  assert.match(run.stderr, /the base invalid .* is invalid, so it was never served/);
  assert.match(run.stderr, /GM202/);
});

test('usage and I/O problems exit 2 with a message and no stack trace', async () => {
  const answer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"hello": "world"}'));
  await new Promise<void>((done) => answer.listen(0, '127.0.0.1', done));
  const notGitmesh = `http://127.0.0.1:${(answer.address() as AddressInfo).port}`;
  try {
    const cases: [string[], RegExp][] = [
      [['plan', '--repo', repo.dir], /plan needs a base: --base REF .* or --live URL/],
      [['plan', '--repo', repo.dir, '--base', 'main', '--live', 'http://127.0.0.1:1'], /exclusive/],
      [['plan', '--repo', 'example-repo', '--base', 'main'], /--base needs a git repository, and example-repo is a plain folder/],
      [['plan', '--repo', repo.dir, '--ref', 'no-such-branch', '--base', 'main'], /no-such-branch/],
      [['plan', '--repo', repo.dir, '--base', 'no-such-branch'], /no-such-branch/],
      [['plan', '--repo', repo.dir, '--live', 'http://127.0.0.1:1'], /cannot read http:\/\/127\.0\.0\.1:1\/api\/v1\/snapshot/],
      [['plan', '--repo', repo.dir, '--live', 'ftp://example.com'], /--live must be an http\(s\) URL/],
      [['plan', '--repo', repo.dir, '--live', notGitmesh], /is not a gitmesh snapshot: "commit" is neither a string nor null/],
      [['plan', '--repo', repo.dir, '--base', 'main', '--format', 'yaml'], /argument 'yaml' is invalid/],
      [['plan', '--repo', repo.dir, '--base', 'main', '--max-lines', '0'], /--max-lines "0" is not a positive whole number/],
      [['plan', '--repo', repo.dir, '--base', 'main', '--max-bytes', 'lots'], /--max-bytes: "lots" is not a size/],
    ];
    for (const [args, message] of cases) {
      const run = await gitmesh(args);
      assert.is(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message, args.join(' '));
      assert.not.match(run.stderr, /\n\s+at /);
    }
  } finally {
    answer.close();
  }
});

test('the env twins GITMESH_BASE and GITMESH_PLAN_FORMAT stand for --base and --format', async () => {
  const run = await gitmesh(['plan', '--repo', repo.dir, '--ref', 'route-weight'], process.cwd(), { GITMESH_BASE: 'main', GITMESH_PLAN_FORMAT: 'json' });
  assert.is(run.code, 3, run.stderr);
  assert.is((JSON.parse(run.stdout) as Plan).base.ref, 'main');
});

test('markdown stays within --max-bytes and --max-lines, and counts what it leaves out', async () => {
  const small = await gitmesh(['plan', '--repo', repo.dir, '--ref', 'new-policy', '--base', 'main', '--format', 'markdown', '--max-bytes', '4KiB', '--max-lines', '1']);
  assert.is(small.code, 3, small.stderr);
  assert.ok(Buffer.byteLength(small.stdout) <= 4096, `${Buffer.byteLength(small.stdout)} bytes`);
  assert.match(small.stdout, /more lines? not shown/);
  const tiny = await gitmesh(['plan', '--repo', repo.dir, '--ref', 'deleted-service', '--base', 'main', '--format', 'markdown', '--max-bytes', '4KiB']);
  assert.ok(Buffer.byteLength(tiny.stdout) <= 4096);
});

test('text is colored on a terminal and plain otherwise', async () => {
  let out = '';
  const code = await runCli(['plan', '--repo', repo.dir, '--ref', 'route-weight', '--base', 'main'], { stdout: (t) => void (out += t), stderr: () => {}, env: {}, cwd: process.cwd(), isTty: true });
  assert.is(code, 3);
  assert.match(out, /\u001b\[33m~ MeshHTTPRoute default\/orders-canary\u001b\[0m/);
  assert.not.match((await gitmesh(['plan', '--repo', repo.dir, '--ref', 'route-weight', '--base', 'main'])).stdout, /\u001b\[/);
});

test.run();
