// The committed action bundle: what `npm run build:action` makes, and runnable from the files a `uses: OWNER/gitmesh@REF` step gets.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';
import { BUNDLE_DIR, bundleAction } from '../../scripts/build-action.js';
import { annotationsOf, checkoutMerge, edit, policyRepo, pullRequestEvent, stepEnv } from './harness.js';

test('action.yml runs the bundle on the current JavaScript action runtime', () => {
  const manifest = parse(readFileSync('action.yml', 'utf8')) as { runs: { using: string; main: string }; inputs: Record<string, unknown>; outputs: Record<string, unknown> };
  assert.equal(manifest.runs, { using: 'node24', main: `${BUNDLE_DIR}/index.mjs` });
  assert.equal(Object.keys(manifest.inputs), ['path', 'base-ref', 'fail-on', 'sarif-file', 'github-token']);
  assert.equal(Object.keys(manifest.outputs), ['errors', 'warnings', 'changed-proxies']);
});

test('the committed bundle is what `npm run build:action` makes from the sources (run it when this fails)', async () => {
  const expected = await bundleAction();
  for (const [path, content] of expected) {
    assert.ok(existsSync(path), `${path} is missing: run npm run build:action`);
    assert.ok(readFileSync(path, 'utf8') === content, `${path} is stale: run npm run build:action`);
  }
});

/**
 * The files a `uses:` step gets: those git tracks (and those it would, once committed: not
 * ignored), without node_modules, copied to a folder with no node_modules above it.
 */
function actionCheckout(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gitmesh-uses-'));
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const file of listed) {
    if (!existsSync(file) || !statSync(file).isFile()) continue; // deleted in the work tree, or a submodule
    mkdirSync(join(dir, dirname(file)), { recursive: true });
    cpSync(file, join(dir, file));
  }
  return dir;
}

test('the bundle runs from the tracked files alone (no node_modules) and plans a routing change', async () => {
  // Given the action as a `uses:` ref gets it, and a pull request that moves the canary weights
  const action = actionCheckout();
  for (let dir = action; dir !== dirname(dir); dir = dirname(dir)) assert.not.ok(existsSync(join(dir, 'node_modules')), `${dir}/node_modules would serve the bundle's imports`);
  assert.ok(existsSync(join(action, BUNDLE_DIR, 'index.mjs')), 'the bundle is among the files git keeps');
  const repo = policyRepo({
    canary: (dir) => {
      edit(dir, 'mesh/policies/http-routes.yaml', 'weight: 90', 'weight: 80');
      edit(dir, 'mesh/policies/http-routes.yaml', 'weight: 10', 'weight: 20');
    },
  });
  checkoutMerge(repo, 'canary');
  const files = stepEnv({ workspace: repo.dir, event: pullRequestEvent({ baseSha: repo.main, headSha: repo.heads.canary!, headRef: 'canary' }), inputs: { path: 'mesh', 'github-token': '' } });

  // When the runner starts it as `node24` would: node on runs.main, in the workspace, with only the runner's env
  const child = spawn(process.execPath, [join(action, BUNDLE_DIR, 'index.mjs')], {
    cwd: repo.dir,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: files.dir, ...files.env, GITHUB_ACTION_PATH: action },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => void (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));

  // Then it passes, with the plan (compiled and decoded with protos/ found beside the bundle)
  assert.is(code, 0, `${stdout}\n${stderr}`);
  assert.is(stderr, '');
  assert.equal(annotationsOf(stdout), []);
  assert.equal(files.outputs(), { errors: '0', warnings: '0', 'changed-proxies': '2' });
  assert.match(files.summary(), '<code>default.api-1</code>, <code>default.api-2</code> (envoy) changed');
  assert.match(files.summary(), '+   virtual_hosts[0].routes[1].route.weighted_clusters.clusters[0].weight: 80');
});

test.run();
