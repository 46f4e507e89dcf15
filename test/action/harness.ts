// A simulated GitHub Actions runner for the action's tests: a policy repository made with the git CLI, the runner's env and files, a stand-in GitHub API, and a reader of what the step printed.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';

/** Fixed identity and dates: commit ids depend on content only; no user or system git config is read. */
export const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Alice',
  GIT_AUTHOR_EMAIL: 'alice@example.com',
  GIT_AUTHOR_DATE: '2025-01-01T10:00:00Z',
  GIT_COMMITTER_NAME: 'Alice',
  GIT_COMMITTER_EMAIL: 'alice@example.com',
  GIT_COMMITTER_DATE: '2025-01-01T10:00:00Z',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

/** Runs git in `dir`; returns its trimmed stdout. */
export function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'commit.gpgsign=false', ...args], { cwd: dir, env: { ...process.env, ...GIT_ENV }, stdio: ['ignore', 'pipe', 'pipe'] })
    .toString()
    .trim();
}

/** Replaces `from` with `to` in a file of `dir`; throws when `from` is not there (example-repo moved). */
export function edit(dir: string, file: string, from: string, to: string): void {
  const path = join(dir, file);
  const text = readFileSync(path, 'utf8');
  if (!text.includes(from)) throw new Error(`${file} has no ${JSON.stringify(from)}: example-repo moved; update test/action/harness.ts`);
  writeFileSync(path, text.replace(from, to));
}

/** `count` MeshTimeouts with a misspelt field (GM202, errors) and `warnings` naming services no proxy serves (GM304, warnings). */
export function brokenPolicies(errors: number, warnings: number): string {
  const docs: string[] = [];
  for (let i = 0; i < errors; i++) {
    docs.push(`type: MeshTimeout\nname: broken-${String(i).padStart(2, '0')}\nmesh: default\nspec:\n  targetRef:\n    kind: Mesh\n  to:\n    - targetRef:\n        kind: Mesh\n      default:\n        conectionTimeout: 5s\n`);
  }
  for (let i = 0; i < warnings; i++) {
    const name = `ghost-${String(i).padStart(2, '0')}`;
    docs.push(`type: MeshTimeout\nname: ${name}\nmesh: default\nspec:\n  targetRef:\n    kind: Mesh\n  to:\n    - targetRef:\n        kind: MeshService\n        name: ${name}\n      default:\n        connectionTimeout: 5s\n`);
  }
  return docs.join('---\n');
}

/** A policy repository: example-repo/ under `mesh/` on `main`, and one branch per pull request. */
export interface PolicyRepo {
  readonly dir: string;
  readonly main: string;
  /** Branch name → its head commit. */
  readonly heads: Record<string, string>;
}

/** Makes the repository; `branches` edit the work tree (example-repo at `mesh/`) for one commit each, off main. */
export function policyRepo(branches: Record<string, (dir: string) => void>): PolicyRepo {
  const dir = mkdtempSync(join(tmpdir(), 'gitmesh-action-'));
  cpSync('example-repo', join(dir, 'mesh'), { recursive: true });
  writeFileSync(join(dir, 'README.md'), '# acme mesh policies\n');
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'the mesh');
  const main = git(dir, 'rev-parse', 'HEAD');
  const heads: Record<string, string> = {};
  for (const [name, change] of Object.entries(branches)) {
    git(dir, 'checkout', '-q', '-b', name, 'main');
    change(dir);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', name);
    heads[name] = git(dir, 'rev-parse', 'HEAD');
  }
  git(dir, 'checkout', '-q', 'main');
  return { dir, main, heads };
}

/**
 * Checks out a pull request as actions/checkout does by default: detached at a merge commit of
 * the branch into `base` (refs/pull/N/merge). Returns the merge commit.
 */
export function checkoutMerge(repo: PolicyRepo, branch: string, base = repo.main): string {
  git(repo.dir, 'checkout', '-q', '--detach', base);
  git(repo.dir, 'merge', '-q', '--no-ff', '--no-edit', branch);
  return git(repo.dir, 'rev-parse', 'HEAD');
}

/** A `pull_request` event payload (the fields the action reads, as GitHub writes them). */
export function pullRequestEvent(options: { number?: number; baseSha: string; headSha: string; headRef?: string; headRepo?: string }): object {
  const repo = { full_name: 'acme/mesh' };
  return {
    action: 'synchronize',
    number: options.number ?? 7,
    pull_request: {
      number: options.number ?? 7,
      base: { ref: 'main', sha: options.baseSha, repo },
      head: { ref: options.headRef ?? 'change', sha: options.headSha, repo: { full_name: options.headRepo ?? 'acme/mesh' } },
    },
    repository: repo,
  };
}

/** The inputs of action.yml with their defaults, as the runner fills them in (`${{ github.token }}` → `token`). */
export function actionDefaults(token: string): Record<string, string> {
  const manifest = parse(readFileSync('action.yml', 'utf8')) as { inputs: Record<string, { default?: string }> };
  return Object.fromEntries(Object.entries(manifest.inputs).map(([name, input]) => [name, String(input.default ?? '').replace('${{ github.token }}', token)]));
}

/** The runner's side of one step: its env and the files it hands the action. */
export interface StepFiles {
  readonly env: Record<string, string>;
  readonly dir: string;
  summary(): string;
  outputs(): Record<string, string>;
}

/**
 * The env a runner gives a step of `uses: …/gitmesh`: every input as `INPUT_<NAME>` (hyphens
 * kept: `INPUT_FAIL-ON`) with action.yml's defaults under `inputs`, GITHUB_WORKSPACE, the event
 * file, and empty GITHUB_STEP_SUMMARY and GITHUB_OUTPUT files.
 */
export function stepEnv(options: { workspace: string; event: object | null; inputs?: Record<string, string>; apiUrl?: string; token?: string }): StepFiles {
  const dir = mkdtempSync(join(tmpdir(), 'gitmesh-runner-'));
  const eventPath = join(dir, 'event.json');
  writeFileSync(eventPath, JSON.stringify(options.event ?? {}));
  const summaryPath = join(dir, 'step_summary.md');
  const outputPath = join(dir, 'output');
  writeFileSync(summaryPath, '');
  writeFileSync(outputPath, '');
  mkdirSync(join(dir, 'temp'));
  const inputs = { ...actionDefaults(options.token ?? 'test-token'), ...options.inputs };
  const env: Record<string, string> = {
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: options.workspace,
    GITHUB_EVENT_NAME: options.event ? 'pull_request' : 'workflow_dispatch',
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_STEP_SUMMARY: summaryPath,
    GITHUB_OUTPUT: outputPath,
    GITHUB_REPOSITORY: 'acme/mesh',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: options.apiUrl ?? 'http://127.0.0.1:9/unreachable',
    GITHUB_RUN_ID: '4242',
    RUNNER_TEMP: join(dir, 'temp'),
  };
  for (const [name, value] of Object.entries(inputs)) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  return {
    env,
    dir,
    summary: () => readFileSync(summaryPath, 'utf8'),
    outputs: () => parseOutputs(readFileSync(outputPath, 'utf8')),
  };
}

/** The GITHUB_OUTPUT file as the runner reads it: `name=value` lines and `name<<DELIM` heredocs. */
export function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== heredoc[2]; i++) value.push(lines[i]!);
      if (i >= lines.length) throw new Error(`output ${heredoc[1]}: no closing delimiter`);
      out[heredoc[1]!] = value.join('\n');
    } else if (line.includes('=')) out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
  }
  return out;
}

/** One annotation as the runner reads it from a workflow command. */
export interface Annotation {
  readonly severity: 'error' | 'warning' | 'notice';
  readonly properties: Record<string, string>;
  readonly message: string;
}

const unescape = (text: string) => text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%25/g, '%');

/**
 * The workflow commands in a step's stdout, read as the runner does: `::stop-commands::TOKEN`
 * turns command reading off until `::TOKEN::`. Returns the annotations in order.
 */
export function annotationsOf(stdout: string): Annotation[] {
  const out: Annotation[] = [];
  let stopToken: string | null = null;
  for (const line of stdout.split('\n')) {
    if (stopToken !== null) {
      if (line === `::${stopToken}::`) stopToken = null;
      continue;
    }
    const stop = /^::stop-commands::(.+)$/.exec(line);
    if (stop) {
      stopToken = stop[1]!;
      continue;
    }
    const command = /^::(error|warning|notice)(?: ([^:]*))?::(.*)$/.exec(line);
    if (!command) continue;
    const properties: Record<string, string> = {};
    for (const pair of (command[2] ?? '').split(',').filter(Boolean)) properties[pair.slice(0, pair.indexOf('='))] = unescape(pair.slice(pair.indexOf('=') + 1));
    out.push({ severity: command[1] as Annotation['severity'], properties, message: unescape(command[3]!) });
  }
  return out;
}

/** One request the stand-in API got. */
export interface ApiRequest {
  readonly method: string;
  readonly url: string;
  readonly authorization: string | undefined;
  readonly body: unknown;
}

/** A stand-in for the GitHub REST API's issue comments of acme/mesh. */
export interface FakeGithub {
  readonly url: string;
  readonly requests: ApiRequest[];
  readonly comments: { id: number; body: string; html_url: string }[];
  /** Answer 403 to writes, as GitHub does to a read-only token. */
  forbidWrites: boolean;
  close(): Promise<void>;
}

async function bodyOf(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : null;
}

/** Starts the stand-in on 127.0.0.1; it holds `existing` comments of others first. */
export async function fakeGithub(existing: string[] = []): Promise<FakeGithub> {
  let nextId = 100;
  const comments = existing.map((body) => ({ id: nextId++, body, html_url: `https://github.com/acme/mesh/pull/7#issuecomment-${nextId}` }));
  const requests: ApiRequest[] = [];
  const state = { forbidWrites: false };
  const server: Server = createServer((request, response) => {
    void (async () => {
      const body = await bodyOf(request);
      const url = request.url ?? '';
      requests.push({ method: request.method ?? '', url, authorization: request.headers.authorization, body });
      const send = (status: number, payload: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(payload));
      };
      const path = url.split('?')[0];
      if (request.method !== 'GET' && state.forbidWrites) return send(403, { message: 'Resource not accessible by integration' });
      if (request.method === 'GET' && path === '/repos/acme/mesh/issues/7/comments') {
        const page = Number(new URL(url, 'http://x').searchParams.get('page') ?? '1');
        const perPage = Number(new URL(url, 'http://x').searchParams.get('per_page') ?? '30');
        return send(200, comments.slice((page - 1) * perPage, page * perPage));
      }
      if (request.method === 'POST' && path === '/repos/acme/mesh/issues/7/comments') {
        const id = nextId++;
        const comment = { id, body: (body as { body: string }).body, html_url: `https://github.com/acme/mesh/pull/7#issuecomment-${id}` };
        comments.push(comment);
        return send(201, comment);
      }
      const patch = /^\/repos\/acme\/mesh\/issues\/comments\/(\d+)$/.exec(path ?? '');
      if (request.method === 'PATCH' && patch) {
        const comment = comments.find((c) => c.id === Number(patch[1]));
        if (!comment) return send(404, { message: 'Not Found' });
        comment.body = (body as { body: string }).body;
        return send(200, comment);
      }
      send(404, { message: 'Not Found' });
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    comments,
    get forbidWrites() {
      return state.forbidWrites;
    },
    set forbidWrites(value: boolean) {
      state.forbidWrites = value;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
