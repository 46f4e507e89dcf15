// The GitHub Action's run() in a simulated runner, over pull requests of a real git repository made from example-repo/.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { run } from '../../src/action/main.js';
import { renderSummary } from '../../src/action/report.js';
import { diagnostic, type Diagnostic } from '../../src/core/diagnostics.js';
import {
  annotationsOf,
  brokenPolicies,
  checkoutMerge,
  edit,
  fakeGithub,
  git,
  policyRepo,
  pullRequestEvent,
  stepEnv,
  type StepFiles,
} from './harness.js';

const ROUTES = 'mesh/policies/http-routes.yaml';

const repo = policyRepo({
  /** Only a comment changes: nothing to plan. */
  tidy: (dir) => edit(dir, 'mesh/policies/timeouts.yaml', '# Postgres connections idle for long in the pool; keep them open.', '# Postgres pools keep connections idle for hours: do not cut them.'),
  /** 12 errors and 11 warnings: more than GitHub annotates. */
  broken: (dir) => writeFileSync(join(dir, 'mesh/policies/broken.yaml'), brokenPolicies(12, 11)),
  /** Two warnings, no error. */
  ghosts: (dir) => writeFileSync(join(dir, 'mesh/policies/ghosts.yaml'), brokenPolicies(0, 2)),
  /** The orders canary 90/10 → 80/20: one route of the two api proxies. */
  canary: (dir) => {
    edit(dir, ROUTES, 'weight: 90', 'weight: 80');
    edit(dir, ROUTES, 'weight: 10', 'weight: 20');
  },
  /** The same pull request pushed again: 70/30. */
  'canary-70': (dir) => {
    edit(dir, ROUTES, 'weight: 90', 'weight: 70');
    edit(dir, ROUTES, 'weight: 10', 'weight: 30');
  },
});

/** Runs the action in-process over the checkout as the step `files` describes it. */
async function step(files: StepFiles) {
  let stdout = '';
  const code = await run({ env: files.env, write: (text) => void (stdout += text) });
  return { code, stdout, annotations: annotationsOf(stdout), summary: files.summary(), outputs: files.outputs() };
}

/** The step for pull request `branch` of `repo`, checked out as actions/checkout does (the merge commit). */
function pullRequestStep(branch: string, options: { inputs?: Record<string, string>; apiUrl?: string; headRepo?: string } = {}): StepFiles & { merge: string } {
  const merge = checkoutMerge(repo, branch);
  const event = pullRequestEvent({ baseSha: repo.main, headSha: repo.heads[branch]!, headRef: branch, ...(options.headRepo && { headRepo: options.headRepo }) });
  const files = stepEnv({
    workspace: repo.dir,
    event,
    inputs: { 'github-token': '', ...options.inputs },
    ...(options.apiUrl && { apiUrl: options.apiUrl }),
  });
  return { ...files, merge };
}

test('a clean pull request passes with no annotation, zero counts and a plan that changes nothing', async () => {
  // Given a pull request that only edits a comment, with every input at action.yml's default
  const files = pullRequestStep('tidy');
  // When the action runs
  const result = await step(files);
  // Then the step passes quietly and says so
  assert.is(result.code, 0, result.stdout);
  assert.equal(result.annotations, []);
  assert.equal(result.outputs, { errors: '0', warnings: '0', 'changed-proxies': '0' });
  assert.match(result.summary, ':white_check_mark: **0 errors, 0 warnings');
  assert.match(result.summary, '### gitmesh plan');
  assert.match(result.summary, /No changes: 4\d resources and 14 proxies unchanged/);
  assert.not.match(result.summary, '### Findings');
});

test('a broken pull request fails: its first 10 errors, then 10 warnings, are annotated at workspace paths, and the rest are listed in the summary', async () => {
  // Given 12 errors and 11 warnings in mesh/policies/broken.yaml, and path: mesh
  const files = pullRequestStep('broken', { inputs: { path: 'mesh', 'sarif-file': 'reports/gitmesh.sarif' } });
  const result = await step(files);
  assert.is(result.code, 1);
  assert.equal(result.outputs, { errors: '12', warnings: '11', 'changed-proxies': '' });

  // Then GitHub gets 10 errors first, then 10 warnings, each at the file relative to the workspace
  assert.equal(
    result.annotations.map((a) => a.severity),
    [...Array<string>(10).fill('error'), ...Array<string>(10).fill('warning')],
  );
  const errorLines = Array.from({ length: 10 }, (_, i) => String(11 + 12 * i));
  assert.equal(
    result.annotations.slice(0, 10).map((a) => a.properties.line),
    errorLines,
  );
  assert.equal(result.annotations[0]!.properties, { file: 'mesh/policies/broken.yaml', line: '11', col: '9', title: 'GM202 unknown-field' });
  assert.match(result.annotations[0]!.message, 'unknown field `conectionTimeout`');
  assert.ok(result.annotations.slice(10).every((a) => a.properties.file === 'mesh/policies/broken.yaml' && a.properties.title === 'GM304 unknown-service'));

  // And the summary lists all 23, saying which 3 GitHub does not annotate, linked at the head commit
  assert.match(result.summary, ':x: **12 errors, 11 warnings**');
  assert.match(result.summary, 'in `mesh` at `' + files.merge.slice(0, 12) + '`');
  assert.match(result.summary, '2 errors and 1 warning more (below, after the first 10 of each) are listed only here');
  for (const hidden of ['mesh/policies/broken.yaml:131:9', 'mesh/policies/broken.yaml:143:9', 'MeshTimeout/broken-11:', 'MeshTimeout/ghost-10:']) assert.match(result.summary, hidden);
  assert.match(result.summary, `](https://github.com/acme/mesh/blob/${files.merge}/mesh/policies/broken.yaml#L143)`);
  assert.is(result.summary.split('\n').filter((l) => l.startsWith('| error |')).length, 12);
  assert.is(result.summary.split('\n').filter((l) => l.startsWith('| warning |')).length, 11);
  assert.match(result.summary, 'Nothing is planned: the head has errors');

  // And the log holds every finding, where the runner reads no command
  assert.match(result.stdout, 'mesh/policies/broken.yaml:143:9: error GM202 MeshTimeout/broken-11');

  // And the SARIF file has all 23, with paths from the workspace
  const sarif = JSON.parse(readFileSync(join(repo.dir, 'reports/gitmesh.sarif'), 'utf8')) as { runs: { results: { locations: { physicalLocation: { artifactLocation: { uri: string } } }[] }[] }[] };
  assert.is(sarif.runs[0]!.results.length, 23);
  assert.is(sarif.runs[0]!.results[0]!.locations[0]!.physicalLocation.artifactLocation.uri, 'mesh/policies/broken.yaml');
  git(repo.dir, 'clean', '-q', '-fdx', 'reports');
});

test('a pull request that changes routing passes, and its plan names the proxies it changes', async () => {
  // Given the canary 90/10 → 80/20, checked out as the merge commit actions/checkout makes
  const files = pullRequestStep('canary', { inputs: { path: 'mesh' } });
  const result = await step(files);
  assert.is(result.code, 0, result.stdout);
  assert.equal(result.annotations, []);
  // Then two proxies change, and the summary shows which and how
  assert.equal(result.outputs, { errors: '0', warnings: '0', 'changed-proxies': '2' });
  assert.match(result.summary, `Desired \`${files.merge.slice(0, 12)}\` against base \`${repo.main.slice(0, 12)}\` (\`main\`)`);
  assert.match(result.summary, '| proxies | 0 | 2 | 0 | 12 |');
  assert.match(result.summary, '<code>default.api-1</code>, <code>default.api-2</code> (envoy) changed');
  assert.match(result.summary, '+   virtual_hosts[0].routes[1].route.weighted_clusters.clusters[0].weight: 80');
  assert.match(result.summary, '| ~ changed | `MeshHTTPRoute default/orders-canary` | `mesh/policies/http-routes.yaml` |');
  // And the log has the plan as text
  assert.match(result.stdout, 'Plan: 1 resource changed; 2 proxies changed, 12 unchanged');
});

test('fail-on: warning fails a pull request with warnings only; the default lets it pass', async () => {
  const passing = await step(pullRequestStep('ghosts', { inputs: { path: 'mesh' } }));
  assert.is(passing.code, 0);
  assert.equal(passing.annotations.map((a) => a.severity), ['warning', 'warning']);
  assert.is(passing.outputs.warnings, '2');
  const failing = await step(pullRequestStep('ghosts', { inputs: { path: 'mesh', 'fail-on': 'warning' } }));
  assert.is(failing.code, 1);
  assert.is(failing.outputs['changed-proxies'], '0');
});

test('the plan comment is created once, then updated in place when the pull request changes', async () => {
  const github = await fakeGithub(['LGTM, but wait for the plan']);
  try {
    // Given a pull request whose first push plans 80/20
    const first = await step(pullRequestStep('canary', { inputs: { path: 'mesh', 'github-token': 'test-token' }, apiUrl: github.url }));
    assert.is(first.code, 0, first.stdout);
    // Then one comment is made, after looking for an existing one, with the workflow's token
    assert.equal(github.requests.map((r) => `${r.method} ${r.url.split('?')[0]}`), ['GET /repos/acme/mesh/issues/7/comments', 'POST /repos/acme/mesh/issues/7/comments']);
    assert.ok(github.requests.every((r) => r.authorization === 'Bearer test-token'));
    assert.is(github.comments.length, 2);
    const ours = github.comments[1]!;
    assert.ok(ours.body.startsWith('<!-- gitmesh-plan path=mesh -->\n### gitmesh plan'));
    assert.match(ours.body, 'weighted_clusters.clusters[0].weight: 80');
    assert.match(ours.body, '[workflow run](https://github.com/acme/mesh/actions/runs/4242)');
    assert.match(first.stdout, `gitmesh: plan comment created: ${ours.html_url}`);

    // When the pull request is pushed again (70/30)
    github.requests.length = 0;
    const second = await step(pullRequestStep('canary-70', { inputs: { path: 'mesh', 'github-token': 'test-token' }, apiUrl: github.url }));
    assert.is(second.code, 0);
    // Then the same comment is edited; no other is made
    assert.equal(github.requests.map((r) => `${r.method} ${r.url.split('?')[0]}`), ['GET /repos/acme/mesh/issues/7/comments', `PATCH /repos/acme/mesh/issues/comments/${ours.id}`]);
    assert.is(github.comments.length, 2);
    assert.is(github.comments[0]!.body, 'LGTM, but wait for the plan');
    assert.match(github.comments[1]!.body, 'weighted_clusters.clusters[0].weight: 70');
    assert.not.match(github.comments[1]!.body, 'weight: 80');

    // And a run that would say the same again writes nothing
    github.requests.length = 0;
    await step(pullRequestStep('canary-70', { inputs: { path: 'mesh', 'github-token': 'test-token' }, apiUrl: github.url }));
    assert.equal(github.requests.map((r) => r.method), ['GET']);
  } finally {
    await github.close();
  }
});

test("a fork's pull request, or a token the API refuses (403), costs only the comment: annotations, summary and outputs stay, the step passes", async () => {
  const github = await fakeGithub();
  try {
    // Given a pull request from a fork: the event's head repository is another
    const fork = await step(pullRequestStep('canary', { inputs: { path: 'mesh', 'github-token': 'test-token' }, apiUrl: github.url, headRepo: 'mallory/mesh' }));
    assert.is(fork.code, 0);
    assert.is(github.requests.length, 0, 'no call with a read-only token');
    assert.is(fork.outputs['changed-proxies'], '2');
    assert.match(fork.summary, 'comes from a fork, so the workflow token is read-only');
    assert.match(fork.summary, '| proxies | 0 | 2 | 0 | 12 |');

    // Given a token the API refuses to write with (a job without pull-requests: write)
    github.forbidWrites = true;
    const refused = await step(pullRequestStep('broken', { inputs: { path: 'mesh', 'github-token': 'test-token' }, apiUrl: github.url }));
    assert.equal(github.requests.map((r) => r.method), ['GET', 'POST']);
    assert.is(github.comments.length, 0);
    // Then the step ends as it would have (1: the head has errors), with the findings and a note
    assert.is(refused.code, 1);
    assert.is(refused.annotations.length, 20);
    assert.match(refused.summary, 'The plan could not be posted as a pull-request comment: the token may not write');
    assert.match(refused.stdout, 'HTTP 403 Resource not accessible by integration');
  } finally {
    await github.close();
  }
});

test('a base the shallow checkout lacks is fetched from origin; one that cannot be fetched skips the plan, not the check', async () => {
  // Given a checkout of depth 1 (actions/checkout's default): the base commit is not in it
  const shallow = join(repo.dir, '..', `${repo.dir.split('/').at(-1)}-shallow`);
  git(join(repo.dir, '..'), 'clone', '-q', '--depth', '1', '--branch', 'canary', `file://${repo.dir}`, shallow);
  assert.throws(() => git(shallow, 'cat-file', '-e', repo.main));
  const event = pullRequestEvent({ baseSha: repo.main, headSha: repo.heads.canary!, headRef: 'canary' });
  const fetched = await step(stepEnv({ workspace: shallow, event, inputs: { path: 'mesh', 'github-token': '' } }));
  // Then the base is fetched (one commit more) and the plan is made
  assert.is(fetched.code, 0, fetched.stdout);
  assert.is(fetched.outputs['changed-proxies'], '2');
  assert.match(fetched.summary, `The base ${repo.main.slice(0, 12)} was not in the checkout: it was fetched from origin.`);
  assert.ok(existsSync(join(shallow, '.git/shallow')), 'the clone stays shallow');

  // Given a checkout whose origin cannot give the base
  const orphan = `${shallow}-2`;
  git(join(repo.dir, '..'), 'clone', '-q', '--depth', '1', '--branch', 'canary', `file://${repo.dir}`, orphan);
  git(orphan, 'remote', 'remove', 'origin');
  const missing = await step(stepEnv({ workspace: orphan, event, inputs: { path: 'mesh', 'github-token': '' } }));
  // Then the findings are reported as ever, and the summary says why there is no plan
  assert.is(missing.code, 0);
  assert.equal(missing.outputs, { errors: '0', warnings: '0', 'changed-proxies': '' });
  assert.match(missing.summary, `No plan: the base ${repo.main} is not in the checkout, and fetching it from origin failed`);
  assert.match(missing.summary, 'check out with `fetch-depth: 0`');
});

test('outside a pull request there is no plan unless base-ref names one', async () => {
  git(repo.dir, 'checkout', '-q', '--detach', repo.heads.canary!);
  const none = await step(stepEnv({ workspace: repo.dir, event: null, inputs: { path: 'mesh', 'github-token': '' } }));
  assert.is(none.code, 0);
  assert.match(none.summary, 'No plan: this run is not for a pull request and the `base-ref` input is empty');
  const named = await step(stepEnv({ workspace: repo.dir, event: null, inputs: { path: 'mesh', 'base-ref': 'main', 'github-token': '' } }));
  assert.is(named.outputs['changed-proxies'], '2');
  assert.match(named.summary, `against base \`${repo.main.slice(0, 12)}\` (\`main\`)`);
});

test('inputs the action cannot use fail the step with an error that says which', async () => {
  git(repo.dir, 'checkout', '-q', '--detach', repo.main);
  const badSeverity = await step(stepEnv({ workspace: repo.dir, event: null, inputs: { 'fail-on': 'fatal' } }));
  assert.is(badSeverity.code, 1);
  assert.equal(badSeverity.annotations.map((a) => a.message), ['gitmesh: input fail-on is "fatal"; use error or warning']);
  const outside = await step(stepEnv({ workspace: repo.dir, event: null, inputs: { path: '../elsewhere' } }));
  assert.is(outside.code, 1);
  assert.match(outside.annotations[0]!.message, 'is outside the workspace');
  const missing = await step(stepEnv({ workspace: repo.dir, event: null, inputs: { path: 'policies' } }));
  assert.match(missing.annotations[0]!.message, 'input path "policies": there is no such folder in the workspace');
  // A checkout it cannot read (no commit yet) is an error too, not a crash
  const empty = mkdtempSync(join(tmpdir(), 'gitmesh-empty-'));
  git(empty, 'init', '-q');
  const unborn = await step(stepEnv({ workspace: empty, event: null, inputs: {} }));
  assert.is(unborn.code, 1);
  assert.is(unborn.annotations.length, 1);
  assert.match(unborn.annotations[0]!.message, /^gitmesh: .*HEAD/);
  assert.not.match(unborn.stdout, 'internal error');
});

test('the summary stays within its byte limit and counts the findings it leaves out', () => {
  const many: Diagnostic[] = Array.from({ length: 400 }, (_, i) => diagnostic('GM202', { file: 'policies/big.yaml', line: i + 1, column: 3 }, `unknown field \`f${i}\` | <b>not html</b>`));
  const summary = renderSummary({
    diagnostics: many,
    summary: { files: 1, resources: 400, errors: 400, warnings: 0, suppressed: 0 },
    root: 'mesh',
    head: '`abc`',
    plan: { kind: 'invalid' },
    maxBytes: 20_000,
  });
  assert.ok(Buffer.byteLength(summary) <= 20_000, `${Buffer.byteLength(summary)} bytes`);
  const shown = summary.split('\n').filter((l) => l.startsWith('| error |')).length;
  assert.ok(shown > 10 && shown < 400);
  assert.match(summary, `${400 - shown} more findings not shown: the summary is limited to 20000 bytes. Run \`npx gitmesh validate mesh\``);
  assert.match(summary, 'unknown field `f0` \\| &lt;b&gt;not html&lt;/b&gt;');
});

test.run();
