// Writing to a policy repository: the rollback commit (DESIGN.md §5 `rollback`), made with isomorphic-git, and its push over smart HTTP(S).
import * as fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import git, { type HttpClient } from 'isomorphic-git';
import nodeHttp from 'isomorphic-git/http/node';
import { GitmeshError } from '../core/errors.js';
import { gitdirOf, isGitRepository, RefNotFoundError, resolveCommit } from './git.js';
import { meteredHttp, RemoteAuthError, RemoteMirror, RemoteNotFoundError, RemoteUnavailableError, splitCredentials, tokenCredentials } from './remote.js';
import { isPolicyPath } from './types.js';

/** The rollback cannot be made as things stand (uncommitted changes, another branch checked out, a target that is not behind the branch): a human must act; nothing was written. */
export class RollbackRefusedError extends GitmeshError {
  constructor(reason: 'dirty' | 'not-checked-out' | 'not-behind' | 'moved', message: string, data: Record<string, unknown> = {}) {
    super('RollbackRefused', message, { ...data, reason });
  }
}

/** The remote refused the push: the branch moved since the fetch (someone pushed meanwhile), or a server rule (a protected branch, a hook) declined it. Nothing changed on the remote. */
export class PushRejectedError extends GitmeshError {
  constructor(message: string, data: Record<string, unknown>, options?: { cause?: unknown }) {
    super('PushRejected', message, data, options);
  }
}

/** SRC is neither an http(s) URL nor a local git repository: a usage error. */
export class NotARepositoryError extends GitmeshError {
  constructor(src: string) {
    super('NotARepository', `${src} is not a git repository (a rollback writes a commit, so SRC must be a local git repository or an http(s) URL)`, { src });
  }
}

/** The identity gitmesh commits under when no other is configured (DESIGN.md §5: works with no git identity). */
export const GITMESH_IDENTITY = { name: 'gitmesh', email: 'gitmesh@gitmesh.invalid' } as const;

/** A person with a time, as a git commit records them (timezoneOffset has the sign of Date#getTimezoneOffset). */
export interface GitSignature {
  readonly name: string;
  readonly email: string;
  readonly timestamp: number;
  readonly timezoneOffset: number;
}

export interface RollbackOptions {
  /** A local git repository (work tree or bare) or an `http(s)` URL (credentials in it, or `env.GITMESH_GIT_TOKEN`). */
  readonly repo: string;
  /** The state to return to: any REF (a commit id of 7+ hex digits, a tag, a branch). */
  readonly to: string;
  /** The branch the rollback commit goes on (default `main`). */
  readonly branch?: string;
  /** Resolves a relative local `repo` (default process.cwd()). */
  readonly cwd?: string;
  /** GIT_AUTHOR_NAME/EMAIL/DATE, GIT_COMMITTER_DATE and GITMESH_GIT_TOKEN are read here (default process.env). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly now?: () => Date;
  /** The HTTP client for a remote (default isomorphic-git's node client). */
  readonly http?: HttpClient;
  /** For a remote: the git dir to fetch into and commit in (kept). Default: a temporary one, removed afterwards. */
  readonly gitdir?: string;
  /** Bound on each fetch and the push of a remote, in milliseconds (default 120 000). */
  readonly timeoutMs?: number;
}

/** What a rollback did. */
export interface RollbackResult {
  /** `created`: a new commit is on the branch (and pushed, for a remote); `unchanged`: the branch already has the target's tree, nothing was written. */
  readonly outcome: 'created' | 'unchanged';
  readonly branch: string;
  /** The new commit (the branch tip when unchanged). */
  readonly commit: string;
  /** The branch tip before. */
  readonly previous: string;
  /** The full id of the target commit. */
  readonly to: string;
  /** The tree of the new commit: the target's. */
  readonly tree: string;
  /** Commits on the branch that the target does not hold, newest first: what the rollback undoes. */
  readonly undone: readonly string[];
  readonly message: string;
  readonly author: GitSignature;
  readonly committer: GitSignature;
  /** Whether it was pushed (remote SRC). */
  readonly pushed: boolean;
  /** Whether the work tree and index were updated (local SRC with the branch checked out). */
  readonly checkedOut: boolean;
}

const REMOTE = /^https?:\/\//i;
/** Commit ids listed in a rollback message at most; the rest are counted. */
const LISTED = 100;

/**
 * Writes a commit on `branch` whose tree equals `to`'s (a revert to that state, whole tree), with
 * the branch tip as its parent, and, for an http(s) SRC, pushes it (fast-forward only).
 *
 * Local repository with a work tree: refuses (RollbackRefusedError) unless `branch` is checked
 * out, and when tracked policy files have uncommitted changes, or any file the rollback would
 * rewrite has (tracked or not); then moves the branch and updates exactly the changed paths in
 * the work tree and index. A bare repository: moves the branch only. Remote: fetches the branch
 * (all history, into `gitdir` or a temp dir), commits on the remote tip and pushes; a remote that
 * moved meanwhile is PushRejectedError, and nothing is forced.
 *
 * Identity: the committer is gitmesh; the author is GIT_AUTHOR_NAME/EMAIL, else the repository's
 * user.name/user.email, else gitmesh. GIT_AUTHOR_DATE / GIT_COMMITTER_DATE fix the dates.
 * A target whose tree is already the branch's gives `unchanged`; one that undoes no commit of
 * the branch (it is ahead of it) is refused. Errors: RefNotFoundError, NotARepositoryError, the
 * remote errors of RemoteMirror, RollbackRefusedError, PushRejectedError.
 */
export async function rollbackBranch(options: RollbackOptions): Promise<RollbackResult> {
  const branch = (options.branch ?? 'main').replace(/^refs\/heads\//, '');
  if (REMOTE.test(options.repo)) return rollbackRemote(options, branch);
  const dir = resolve(options.cwd ?? process.cwd(), options.repo);
  if (!isGitRepository(dir)) throw new NotARepositoryError(options.repo);
  return rollbackLocal(options, dir, branch);
}

async function rollbackLocal(options: RollbackOptions, dir: string, branch: string): Promise<RollbackResult> {
  const cache = {};
  const gitdir = gitdirOf(dir);
  const workTree = gitdir !== dir;
  const branchRef = `refs/heads/${branch}`;
  const previous = await git.resolveRef({ fs, gitdir, ref: branchRef }).catch((cause: unknown) => {
    throw new RefNotFoundError(branch, { cause, message: `${dir} has no branch ${JSON.stringify(branch)}; name the branch to roll back with --ref` });
  });
  if (workTree) {
    const head = await git.currentBranch({ fs, gitdir, fullname: true }).catch(() => undefined);
    if (head !== branchRef) {
      const shown = head ? `${head.replace(/^refs\/heads\//, '')} is checked out` : `HEAD is detached at ${(await git.resolveRef({ fs, gitdir, ref: 'HEAD' }).catch(() => '?')).slice(0, 12)}`;
      throw new RollbackRefusedError(
        'not-checked-out',
        `branch ${branch} is not checked out in ${dir} (${shown}); switch to it first (git switch ${branch}), or roll back the checked-out branch with --ref`,
        { dir, branch, ...(head && { head }) },
      );
    }
  }
  const plan = await planRollback({ gitdir, previous, to: options.to, branch, cache, ...identityOptions(options) });
  if (plan.outcome === 'unchanged') return result(plan);
  if (workTree) {
    const changed = await changedPaths(gitdir, plan.previousTree, plan.tree, cache);
    const blocking = await uncommitted(dir, gitdir, changed, cache);
    if (blocking.length > 0) {
      const listed = blocking.slice(0, 10).join(', ') + (blocking.length > 10 ? ` and ${blocking.length - 10} more` : '');
      throw new RollbackRefusedError(
        'dirty',
        `${dir} has uncommitted changes the rollback would lose or that are policy files: ${listed}; commit or stash them (git stash), then run the rollback again`,
        { dir, paths: blocking },
      );
    }
    const commit = await writeRollbackCommit(gitdir, plan);
    await moveBranch(gitdir, branchRef, previous, commit, dir);
    if (changed.length > 0) await git.checkout({ fs, dir, gitdir, ref: branch, filepaths: changed, cache });
    return result(plan, { commit, checkedOut: true });
  }
  const commit = await writeRollbackCommit(gitdir, plan);
  await moveBranch(gitdir, branchRef, previous, commit, dir);
  return result(plan, { commit });
}

async function rollbackRemote(options: RollbackOptions, branch: string): Promise<RollbackResult> {
  const env = options.env ?? process.env;
  const token = env.GITMESH_GIT_TOKEN || undefined;
  const made = options.gitdir === undefined;
  const gitdir = options.gitdir ?? (await mkdtemp(join(tmpdir(), 'gitmesh-rollback-')));
  const cache = {};
  const mirrorOf = (ref: string) =>
    new RemoteMirror({
      url: options.repo,
      gitdir,
      ref,
      depth: 0,
      ...(token !== undefined && { token }),
      ...(options.http && { http: options.http }),
      ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    });
  try {
    const tip = mirrorOf(`refs/heads/${branch}`);
    const { commit: previous } = await tip.fetch({ cache });
    // The target is usually in the branch's history; else (a tag, another branch, a full id) fetch it by name.
    const local = await resolveCommit(gitdir, options.to, cache).catch(() => undefined);
    const to = local ?? (await mirrorOf(options.to).fetch({ cache })).commit;
    const plan = await planRollback({ gitdir, previous, to, branch, cache, ...identityOptions(options) });
    if (plan.outcome === 'unchanged') return result(plan);
    const commit = await writeRollbackCommit(gitdir, plan);
    await pushCommit({
      url: options.repo,
      gitdir,
      commit,
      branch,
      expected: previous,
      cache,
      ...(token !== undefined && { token }),
      ...(options.http && { http: options.http }),
      ...(options.timeoutMs !== undefined && { timeoutMs: options.timeoutMs }),
    });
    return result(plan, { commit, pushed: true });
  } finally {
    if (made) await rm(gitdir, { recursive: true, force: true });
  }
}

interface Plan extends RollbackResult {
  readonly previousTree: string;
}

function result(plan: Plan, done: Partial<Pick<RollbackResult, 'commit' | 'pushed' | 'checkedOut'>> = {}): RollbackResult {
  const { previousTree, ...rest } = plan;
  void previousTree;
  return { ...rest, ...done };
}

/** Everything about the rollback commit but the commit itself: target, undone commits, message, identity. */
async function planRollback(input: {
  gitdir: string;
  previous: string;
  to: string;
  branch: string;
  cache: object;
  env: Readonly<Record<string, string | undefined>>;
  now: () => Date;
}): Promise<Plan> {
  const { gitdir, previous, branch, cache } = input;
  const to = await resolveCommit(gitdir, input.to, cache);
  const [{ commit: target }, { commit: tip }] = await Promise.all([git.readCommit({ fs, gitdir, oid: to, cache }), git.readCommit({ fs, gitdir, oid: previous, cache })]);
  const who = await identity(gitdir, input.env, input.now());
  const base = {
    branch,
    previous,
    to,
    tree: target.tree,
    previousTree: tip.tree,
    pushed: false,
    checkedOut: false,
    ...who,
  };
  if (target.tree === tip.tree) return { ...base, outcome: 'unchanged', commit: previous, undone: [], message: '' };
  const undone = await commitsUndone(gitdir, previous, to, cache);
  if (undone.length === 0) {
    throw new RollbackRefusedError(
      'not-behind',
      `${to.slice(0, 12)} is ahead of ${branch}: ${branch} has no commit that it does not also hold, so there is nothing to roll back; fast-forward or merge instead`,
      { branch, to, previous },
    );
  }
  return { ...base, outcome: 'created', commit: '', undone, message: rollbackMessage(to, target.message, undone) };
}

/** `Rollback to <short>: <subject>`, a blank line, `Reverts <ids>` (full ids, newest first; the first LISTED, then a count). */
export function rollbackMessage(to: string, targetMessage: string, undone: readonly string[]): string {
  const subject = targetMessage.trim().split('\n', 1)[0]!.trim() || '(no message)';
  const listed = undone.slice(0, LISTED).join(', ') + (undone.length > LISTED ? ` and ${undone.length - LISTED} more` : '');
  return `Rollback to ${to.slice(0, 7)}: ${subject}\n\nReverts ${listed}\n`;
}

async function writeRollbackCommit(gitdir: string, plan: Plan): Promise<string> {
  return git.writeCommit({
    fs,
    gitdir,
    commit: { message: plan.message, tree: plan.tree, parent: [plan.previous], author: { ...plan.author }, committer: { ...plan.committer } },
  });
}

/** Moves `ref` from `expected` to `commit`, refusing when something else moved it meanwhile (a commit made while gitmesh worked). */
async function moveBranch(gitdir: string, ref: string, expected: string, commit: string, dir: string): Promise<void> {
  const now = await git.resolveRef({ fs, gitdir, ref }).catch(() => undefined);
  if (now !== expected) {
    throw new RollbackRefusedError('moved', `${ref.replace(/^refs\/heads\//, '')} moved in ${dir} while the rollback was prepared (now at ${now?.slice(0, 12) ?? 'nothing'}); run the rollback again`, { dir, ref, expected, ...(now && { now }) });
  }
  await git.writeRef({ fs, gitdir, ref, value: commit, force: true });
}

function identityOptions(options: RollbackOptions): { env: Readonly<Record<string, string | undefined>>; now: () => Date } {
  return { env: options.env ?? process.env, now: options.now ?? (() => new Date()) };
}

/** Author and committer of a gitmesh commit (see rollbackBranch). */
async function identity(gitdir: string, env: Readonly<Record<string, string | undefined>>, now: Date): Promise<{ author: GitSignature; committer: GitSignature }> {
  const config = async (path: string): Promise<string | undefined> => {
    const value: unknown = await git.getConfig({ fs, gitdir, path }).catch(() => undefined);
    return typeof value === 'string' && value.trim() ? value.trim() : undefined;
  };
  const name = env.GIT_AUTHOR_NAME?.trim() || (await config('user.name')) || GITMESH_IDENTITY.name;
  const email = env.GIT_AUTHOR_EMAIL?.trim() || (await config('user.email')) || GITMESH_IDENTITY.email;
  const fallback = { timestamp: Math.floor(now.getTime() / 1000), timezoneOffset: now.getTimezoneOffset() };
  return {
    author: { name, email, ...(parseGitDate(env.GIT_AUTHOR_DATE) ?? fallback) },
    committer: { ...GITMESH_IDENTITY, ...(parseGitDate(env.GIT_COMMITTER_DATE) ?? fallback) },
  };
}

/**
 * A date as git takes it in GIT_AUTHOR_DATE: `@1700000000 +0200`, `1700000000 +0200`, or ISO 8601
 * (`2024-05-06T07:08:09+02:00`, `...Z`; without a zone, local time). Undefined when not one of these.
 */
export function parseGitDate(text: string | undefined): { timestamp: number; timezoneOffset: number } | undefined {
  if (!text?.trim()) return undefined;
  const raw = /^@?(\d+)(?:\s+([+-])(\d\d)(\d\d))?$/.exec(text.trim());
  if (raw) {
    const minutes = raw[2] ? (raw[2] === '-' ? -1 : 1) * (Number(raw[3]) * 60 + Number(raw[4])) : 0;
    return { timestamp: Number(raw[1]), timezoneOffset: -minutes };
  }
  const iso = /^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d(?::\d\d)?(?:\.\d+)?)\s*(Z|[+-]\d\d:?\d\d)?$/i.exec(text.trim());
  if (!iso) return undefined;
  const zone = iso[3];
  const ms = Date.parse(`${iso[1]}T${iso[2]}${zone ? (zone.toUpperCase() === 'Z' ? 'Z' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone) : ''}`);
  if (Number.isNaN(ms)) return undefined;
  let timezoneOffset = new Date(ms).getTimezoneOffset();
  if (zone) {
    const m = /^([+-])(\d\d):?(\d\d)$/.exec(zone);
    timezoneOffset = m ? -(m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : 0;
  }
  return { timestamp: Math.floor(ms / 1000), timezoneOffset };
}

/**
 * Commits reachable from `tip` but not from `base` (git rev-list base..tip), newest first by
 * committer date. Walks newest first from both ends, painting commits by which end reaches them,
 * and stops once every commit left to walk is reachable from `base` (git's own method, so
 * skewed clocks can make it as approximate as git's). Missing parents (a shallow boundary) end a
 * path. At most `limit` commits are walked.
 */
export async function commitsUndone(gitdir: string, tip: string, base: string, cache: object = {}, limit = 200_000): Promise<string[]> {
  const FROM_TIP = 1;
  const FROM_BASE = 2;
  const flags = new Map<string, number>();
  const info = new Map<string, { time: number; parents: readonly string[] }>();
  const queue: string[] = [];
  const timeOf = (oid: string) => info.get(oid)!.time;
  const mark = async (oid: string, flag: number) => {
    const before = flags.get(oid) ?? 0;
    if ((before | flag) === before) return;
    flags.set(oid, before | flag);
    if (!info.has(oid)) {
      const read = await git.readCommit({ fs, gitdir, oid, cache }).catch(() => undefined);
      info.set(oid, read ? { time: read.commit.committer.timestamp, parents: read.commit.parent } : { time: -Infinity, parents: [] });
    }
    // Keep the queue newest first.
    const time = timeOf(oid);
    let at = queue.findIndex((other) => timeOf(other) < time);
    if (at < 0) at = queue.length;
    queue.splice(at, 0, oid);
  };
  await mark(tip, FROM_TIP);
  await mark(base, FROM_BASE);
  let walked = 0;
  while (queue.some((oid) => (flags.get(oid)! & FROM_BASE) === 0)) {
    if (++walked > limit) break;
    const oid = queue.shift()!;
    const flag = flags.get(oid)!;
    for (const parent of info.get(oid)!.parents) await mark(parent, flag);
  }
  return [...flags]
    .filter(([, flag]) => flag === FROM_TIP)
    .map(([oid]) => oid)
    .sort((a, b) => timeOf(b) - timeOf(a) || (a < b ? -1 : a > b ? 1 : 0));
}

/** Paths of blobs (files, links, submodules) that differ between two trees, sorted. Subtrees with equal ids are skipped. */
export async function changedPaths(gitdir: string, before: string | null, after: string | null, cache: object = {}): Promise<string[]> {
  const out: string[] = [];
  const entries = async (tree: string | null) =>
    tree === null ? new Map<string, { oid: string; type: string; mode: string }>() : new Map((await git.readTree({ fs, gitdir, oid: tree, cache })).tree.map((e) => [e.path, e]));
  const walk = async (a: string | null, b: string | null, prefix: string): Promise<void> => {
    const [left, right] = await Promise.all([entries(a), entries(b)]);
    for (const name of new Set([...left.keys(), ...right.keys()])) {
      const l = left.get(name);
      const r = right.get(name);
      if (l && r && l.oid === r.oid && l.mode === r.mode) continue;
      const path = prefix + name;
      const lTree = l?.type === 'tree' ? l.oid : null;
      const rTree = r?.type === 'tree' ? r.oid : null;
      if (lTree !== null || rTree !== null) await walk(lTree, rTree, `${path}/`);
      if ((l && l.type !== 'tree') || (r && r.type !== 'tree')) out.push(path);
    }
  };
  await walk(before, after, '');
  return out.sort();
}

/**
 * What in the work tree stops a rollback: tracked policy files with uncommitted changes (staged
 * or not), and any file among `changed` that is modified or untracked (the checkout would
 * overwrite it). Ignored files are not looked at.
 */
async function uncommitted(dir: string, gitdir: string, changed: readonly string[], cache: object): Promise<string[]> {
  const touched = new Set(changed);
  const rows = await git.statusMatrix({ fs, dir, gitdir, cache });
  const blocking: string[] = [];
  for (const [path, head, workdir, stage] of rows) {
    const tracked = head === 1 || stage !== 0;
    const dirty = head === 1 ? workdir !== 1 || stage !== 1 : stage !== 0 || workdir !== 0;
    if (!dirty) continue;
    if ((tracked && isPolicyPath(path)) || touched.has(path)) blocking.push(path);
  }
  return blocking.sort();
}

/**
 * Pushes `commit` (in `gitdir`) to `refs/heads/<branch>` of the repository at `url`, as a
 * fast-forward of `expected` only: when the remote branch is not at `expected` any more (someone
 * pushed since the fetch), nothing is sent and PushRejectedError says so; a server that declines
 * the update (a protected branch, a hook, a race lost) is PushRejectedError too. Credentials:
 * `token` (GITMESH_GIT_TOKEN's forms) or the URL's own, sent with every request and never shown.
 * Also RemoteAuthError (401/403), RemoteNotFoundError (404) and RemoteUnavailableError (network).
 */
export async function pushCommit(options: {
  readonly url: string;
  readonly gitdir: string;
  readonly commit: string;
  readonly branch: string;
  /** The commit the remote branch must be at now (null: it must not exist yet). */
  readonly expected: string | null;
  readonly token?: string;
  readonly http?: HttpClient;
  readonly timeoutMs?: number;
  readonly cache?: object;
}): Promise<void> {
  const { url, credentials } = splitCredentials(options.url);
  const auth = options.token ? tokenCredentials(options.token) : credentials;
  const authorization = auth ? `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` : null;
  const secrets = auth ? [auth.password, encodeURIComponent(auth.password), options.token ?? '', authorization ?? ''].filter((s) => s.length >= 3) : [];
  const scrub = (text: string) => secrets.reduce((out, secret) => out.split(secret).join('***'), text.replace(/(\w+:\/\/)[^/@\s]*@/g, '$1'));
  const remoteRef = `refs/heads/${options.branch}`;
  const localRef = 'refs/gitmesh/push';
  const data = { url, branch: options.branch, commit: options.commit };
  const deadline = new AbortController();
  const timeoutMs = options.timeoutMs ?? 120_000;
  const timer = setTimeout(() => deadline.abort(new Error('timeout')), timeoutMs);
  timer.unref();
  let found: string | null | undefined;
  try {
    await git.writeRef({ fs, gitdir: options.gitdir, ref: localRef, value: options.commit, force: true });
    await git.push({
      fs,
      http: meteredHttp(options.http ?? nodeHttp, { bytes: 0, requests: 0 }, deadline.signal),
      gitdir: options.gitdir,
      url,
      ref: localRef,
      remoteRef,
      headers: authorization ? { Authorization: authorization } : {},
      cache: options.cache ?? {},
      // A compare-and-swap on the remote tip: the push goes only if the branch is where the commit was made on.
      onPrePush: ({ remoteRef: remote }) => {
        found = /^0+$/.test(remote.oid) ? null : remote.oid;
        return found === options.expected;
      },
    });
  } catch (error) {
    const e = error as { code?: string; data?: { statusCode?: number; prettyDetails?: string; reason?: string } };
    if (e.code === 'UserCanceledError' || e.code === 'PushRejectedError') {
      const now = found === undefined ? 'elsewhere' : found === null ? 'deleted' : `at ${found.slice(0, 12)}`;
      throw new PushRejectedError(
        `${url} refused the push to ${options.branch}: the branch moved since gitmesh fetched it (now ${now}, was ${options.expected?.slice(0, 12) ?? 'absent'}): someone pushed meanwhile; nothing was pushed. Run the rollback again to roll back from the new tip`,
        { ...data, expected: options.expected, ...(found !== undefined && { found }) },
        { cause: error },
      );
    }
    if (e.code === 'GitPushError') {
      const detail = scrub(e.data?.prettyDetails ?? messageOf(error)).replace(/\s+/g, ' ').trim();
      throw new PushRejectedError(`${url} refused the push to ${options.branch} (${detail}); nothing was changed there. If the branch moved, run the rollback again; if it is protected, open a pull request with the rollback commit instead`, { ...data, detail }, { cause: error });
    }
    if (deadline.signal.aborted) throw new RemoteUnavailableError(`${url} did not complete the push within ${timeoutMs / 1000}s; nothing may have changed there: check the branch and run the rollback again`, data, { cause: error });
    if (e.code === 'HttpError') {
      const status = e.data?.statusCode ?? 0;
      if (status === 401 || status === 403) {
        throw new RemoteAuthError(`${url} refused to let gitmesh push (HTTP ${status}); give a token allowed to push to ${options.branch} (GITMESH_GIT_TOKEN)`, { ...data, status }, { cause: error });
      }
      if (status === 404) throw new RemoteNotFoundError(`${url}: no repository there (HTTP 404), or the token cannot see it`, { ...data, status }, { cause: error });
      throw new RemoteUnavailableError(`${url} answered HTTP ${status} to the push; run the rollback again later`, { ...data, status }, { cause: error });
    }
    throw new RemoteUnavailableError(`cannot push to ${url}: ${scrub(messageOf(error))}`, data, { cause: error });
  } finally {
    clearTimeout(timer);
    await git.deleteRef({ fs, gitdir: options.gitdir, ref: localRef }).catch(() => undefined);
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
