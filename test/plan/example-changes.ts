// A git repository of example-repo/ with one branch per change the plan tests look at, made with the git CLI at fixed dates.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Each change: a branch off `main` with one commit that edits the example mesh. */
export const CHANGES = {
  /** The orders canary goes from 90/10 to 80/20: one route on the two api proxies. */
  'route-weight': (dir: string) => edit(dir, 'policies/http-routes.yaml', (t) => t.replace('weight: 90', 'weight: 80').replace('weight: 10', 'weight: 20')),
  /** A mesh-wide maximum stream duration: every sidecar's HTTP clusters. */
  'new-policy': (dir: string) =>
    writeFileSync(
      join(dir, 'policies/stream-limits.yaml'),
      `# Long-lived HTTP streams are cut after 10 minutes everywhere.
type: MeshTimeout
name: mesh-max-stream
mesh: default
spec:
  targetRef:
    kind: Mesh
  to:
    - targetRef:
        kind: Mesh
      default:
        http:
          maxStreamDuration: 10m
`,
    ),
  /** redis is gone: its Dataplane is deleted, its clients keep an outbound to nothing. */
  'deleted-service': (dir: string) =>
    edit(dir, 'dataplanes/data-stores.yaml', (t) => {
      const start = t.indexOf('apiVersion: kuma.io/v1alpha1\nkind: Dataplane\nmetadata:\n  name: redis-1');
      return t.slice(0, start) + t.slice(t.indexOf('---\n', start) + 4);
    }),
  /** Comments, key order and flow style change; what the YAML says does not. */
  reformat: (dir: string) =>
    edit(dir, 'policies/timeouts.yaml', (t) =>
      t
        .replace('# Postgres connections idle for long in the pool; keep them open.\n', '# Postgres pools keep connections idle for hours: do not cut them.\n')
        .replace('      default:\n        connectionTimeout: 2s\n        idleTimeout: 4h', '      default: {idleTimeout: 4h, connectionTimeout: 2s}')
        .replace('type: MeshTimeout\nname: orders-to-payments\nmesh: default', 'name: orders-to-payments\nmesh: default\ntype: MeshTimeout'),
    ),
  /** A policy for a service not deployed yet: a new resource, no proxy touched. */
  'targets-nothing': (dir: string) =>
    edit(
      dir,
      'policies/timeouts.yaml',
      (t) =>
        `${t}---
# For the billing v3 service, not deployed yet.
type: MeshTimeout
name: billing-v3
mesh: default
spec:
  targetRef:
    kind: Dataplane
    labels:
      app: billing-v3
  to:
    - targetRef:
        kind: Mesh
      default:
        connectionTimeout: 1s
`,
    ),
  /** A schema error: the desired state is invalid. */
  invalid: (dir: string) => edit(dir, 'policies/timeouts.yaml', (t) => t.replace('connectionTimeout: 5s', 'conectionTimeout: 5s')),
} as const;

export type ChangeName = keyof typeof CHANGES;

function edit(dir: string, file: string, change: (text: string) => string): void {
  const path = join(dir, file);
  const before = readFileSync(path, 'utf8');
  const after = change(before);
  if (after === before) throw new Error(`the ${file} edit changed nothing: example-repo moved; update test/plan/example-changes.ts`);
  writeFileSync(path, after);
}

/** The repository: `dir`, the commit of `main`, and per change the commit of its branch (full ids). */
export interface ExampleRepo {
  readonly dir: string;
  readonly main: string;
  readonly commits: Readonly<Record<ChangeName, string>>;
}

/** Makes the repository in a new temp dir; author, committer and dates are fixed, so commit ids depend on content only. */
export function exampleChangesRepo(): ExampleRepo {
  const dir = mkdtempSync(join(tmpdir(), 'gitmesh-plan-'));
  cpSync('example-repo', dir, { recursive: true });
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: 'Alice',
    GIT_AUTHOR_EMAIL: 'alice@example.com',
    GIT_AUTHOR_DATE: '2025-01-01T10:00:00Z',
    GIT_COMMITTER_NAME: 'Alice',
    GIT_COMMITTER_EMAIL: 'alice@example.com',
    GIT_COMMITTER_DATE: '2025-01-01T10:00:00Z',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
  };
  const git = (...args: string[]) => execFileSync('git', ['-c', 'commit.gpgsign=false', ...args], { cwd: dir, env }).toString().trim();
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'the example mesh');
  const main = git('rev-parse', 'HEAD');
  const commits = {} as Record<ChangeName, string>;
  for (const [name, change] of Object.entries(CHANGES) as [ChangeName, (dir: string) => void][]) {
    git('checkout', '-q', '-b', name, 'main');
    change(dir);
    git('add', '-A');
    git('commit', '-q', '-m', name);
    commits[name] = git('rev-parse', 'HEAD');
  }
  git('checkout', '-q', 'main');
  return { dir, main, commits };
}
