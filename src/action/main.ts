// run(): the action's inputs → validate the head, plan base → head → annotations, job summary, outputs, SARIF and the pull-request comment; an exit code.
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { lintCompiled } from '../compile/lint.js';
import { compareDiagnostics, countBySeverity, type Diagnostic, type ValidationSummary } from '../core/diagnostics.js';
import { GitmeshError } from '../core/errors.js';
import { escapeData, joinRoot, renderGithub, renderSarif, renderText } from '../core/format-diagnostics.js';
import { VERSION } from '../core/version.js';
import { planOf } from '../plan/plan.js';
import { renderPlanText } from '../plan/render/text.js';
import { revisionSide } from '../plan/revision.js';
import { validateFiles } from '../policies/validate-files.js';
import { readFolder } from '../source/folder.js';
import { readRevision } from '../source/git.js';
import type { SourceRead } from '../source/index.js';
import { EncodeCache } from '../xds/snapshot.js';
import { gitCli, resolveBase, type GitCli } from './base.js';
import { upsertComment, type CommentResult } from './comment.js';
import { readEvent, type WorkflowEvent } from './event.js';
import { errorsFirst, renderComment, renderSummary, selectAnnotations, type PlanOutcome } from './report.js';
import { processRunner, type Runner } from './runner.js';

/** The inputs of action.yml, checked. */
export interface ActionInputs {
  readonly path: string;
  /** '' for the pull request's base. */
  readonly baseRef: string;
  readonly failOn: 'error' | 'warning';
  /** '' for none. */
  readonly sarifFile: string;
  /** '' for no comment. */
  readonly githubToken: string;
}

/** An input the action cannot work with: the step fails with the message. */
export class ActionInputError extends Error {}

/** Reads and checks the inputs (the runner fills in action.yml's defaults; these are the same for a run without it). */
export function readInputs(runner: Pick<Runner, 'input'>): ActionInputs {
  const failOn = runner.input('fail-on') || 'error';
  if (failOn !== 'error' && failOn !== 'warning') throw new ActionInputError(`input fail-on is ${JSON.stringify(failOn)}; use error or warning`);
  return {
    path: runner.input('path') || '.',
    baseRef: runner.input('base-ref'),
    failOn,
    sarifFile: runner.input('sarif-file'),
    githubToken: runner.input('github-token'),
  };
}

/** The effects run() uses; all but `env` and `write` have real defaults. */
export interface ActionEnvironment {
  /** process.env on a runner: INPUT_*, GITHUB_*. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** stdout, where workflow commands go. */
  readonly write: (text: string) => void;
  /** Where the workspace is when GITHUB_WORKSPACE is not set (default process.cwd()). */
  readonly cwd?: string;
  /** For the GitHub API (default the global fetch). */
  readonly fetch?: typeof fetch;
  /** For fetching a base commit a shallow checkout lacks (default the git CLI). */
  readonly git?: GitCli;
  readonly runner?: Runner;
}

/** `a/b` with `/` whatever the platform. */
function posixPath(path: string): string {
  return path.split(sep).join('/');
}

/** The git work tree holding `dir`: `dir` or a parent of it up to `workspace`; null when there is none (a download without git). */
function findRepository(dir: string, workspace: string): string | null {
  for (let at = dir; ; at = dirname(at)) {
    if (existsSync(join(at, '.git'))) return at;
    if (at === workspace || dirname(at) === at) return null;
  }
}

/** The head: its files (HEAD's commit in a git checkout, else the folder) and every finding on them, as `gitmesh validate` reports them. */
interface Head {
  readonly read: SourceRead;
  readonly diagnostics: Diagnostic[];
  readonly summary: ValidationSummary;
}

async function readHead(policyDir: string, repoDir: string | null): Promise<Head> {
  // From git objects, not the work tree: what the pull request carries, without files an earlier step left (node_modules/**/*.yaml).
  const read: SourceRead = repoDir
    ? await readRevision({ dir: repoDir, ref: 'HEAD', path: posixPath(relative(repoDir, policyDir)) })
    : { commit: null, ...(await readFolder(policyDir)) };
  const validated = validateFiles({ files: read.files, sourceDiagnostics: read.diagnostics });
  // As `gitmesh validate`: a valid head is compiled for every proxy too, so what a flavour cannot express shows.
  const compiled = validated.summary.errors === 0 ? lintCompiled(validated.resources) : { diagnostics: [], suppressed: 0 };
  const diagnostics = [...validated.diagnostics, ...compiled.diagnostics].sort(compareDiagnostics);
  return { read, diagnostics, summary: { ...validated.summary, ...countBySeverity(diagnostics), suppressed: validated.summary.suppressed + compiled.suppressed } };
}

const short = (commit: string) => commit.slice(0, 12);

/**
 * The plan from the base to the head: the base is `base-ref` or the pull request's base commit,
 * read from the checkout (fetched once if missing). Every reason not to plan is a `skipped`
 * outcome, never a failure; a head that does not compile consistently (a compiler bug) adds its
 * errors to `head`'s findings, as serve would reject it.
 */
async function planHead(options: {
  head: Head;
  repoDir: string | null;
  subPath: string;
  /** The policy folder relative to the workspace. */
  root: string;
  baseRef: string;
  event: WorkflowEvent;
  git: GitCli;
  notes: string[];
}): Promise<{ outcome: PlanOutcome; extraErrors: Diagnostic[] }> {
  const { head, repoDir, event, notes } = options;
  if (head.summary.errors > 0) return { outcome: { kind: 'invalid' }, extraErrors: [] };
  if (repoDir === null) return { outcome: { kind: 'skipped', reason: 'the workspace is not a git checkout, so there is no base commit to compare with' }, extraErrors: [] };
  const pr = event.pullRequest;
  const ref = options.baseRef || pr?.baseSha;
  if (!ref) return { outcome: { kind: 'skipped', reason: 'this run is not for a pull request and the `base-ref` input is empty, so there is no base to compare with' }, extraErrors: [] };
  const base = await resolveBase({ dir: repoDir, ref, git: options.git });
  if ('missing' in base) return { outcome: { kind: 'skipped', reason: base.missing }, extraErrors: [] };
  if (base.fetched) notes.push(`The base ${short(base.commit)} was not in the checkout: it was fetched from origin.`);
  const encode = new EncodeCache();
  const baseSide = revisionSide(await readRevision({ dir: repoDir, ref: base.commit, path: options.subPath }), encode);
  if (!baseSide.ok) {
    return { outcome: { kind: 'skipped', reason: `the base ${short(base.commit)} is invalid (${baseSide.diagnostics.length} errors), so it was never served and there is nothing to compare with` }, extraErrors: [] };
  }
  const headSide = revisionSide(head.read, encode);
  if (!headSide.ok) return { outcome: { kind: 'invalid' }, extraErrors: [...headSide.diagnostics] };
  const baseLabel = options.baseRef || pr?.baseRef || null;
  const headLabel = pr && head.read.commit === pr.headSha && pr.headRef ? pr.headRef : null;
  const plan = planOf({ desired: { ...headSide.side, ref: headLabel }, base: { ...baseSide.side, ref: baseLabel, live: null } });
  // Files as the annotations name them: from the workspace, not the policy folder.
  const resources = plan.resources?.map((r) => ({ ...r, file: joinRoot(options.root, r.file) })) ?? null;
  return { outcome: { kind: 'plan', plan: { ...plan, resources } }, extraErrors: [] };
}

/** Total proxies added, changed or removed. */
function changedProxies(outcome: PlanOutcome): number | null {
  if (outcome.kind !== 'plan') return null;
  const { added, changed, removed } = outcome.plan.totals.proxies;
  return added + changed + removed;
}

/** The hidden line of this action's comment; one per policy folder, so two steps on two folders keep two comments. */
export function commentMarker(root: string): string {
  return root === '.' ? '<!-- gitmesh-plan -->' : `<!-- gitmesh-plan path=${encodeURIComponent(root)} -->`;
}

/**
 * The action (DESIGN.md §9). Reads the inputs, validates the policy folder at the head (HEAD's
 * commit of the checkout) as `gitmesh validate` does, and plans base → head as `gitmesh plan`
 * does. Prints every finding to the log and the first 10 errors and 10 warnings as
 * annotations, with paths relative to the workspace; writes the job summary (findings, then
 * the plan, within 1 MiB), the outputs `errors`, `warnings` and `changed-proxies` (empty when
 * no plan was made), the SARIF file when asked, and keeps one pull-request comment with the
 * plan when the token may write (a fork's read-only token, or any API failure, only costs the
 * comment). Returns the exit code: 1 when findings reach `fail-on` or the inputs or the
 * checkout cannot be read, else 0. Never throws.
 */
export async function run(environment: ActionEnvironment): Promise<number> {
  const { env } = environment;
  const runner = environment.runner ?? processRunner({ env, write: environment.write });
  try {
    const inputs = readInputs(runner);
    const workspace = resolve(env.GITHUB_WORKSPACE || environment.cwd || process.cwd());
    const policyDir = resolve(workspace, inputs.path);
    const root = posixPath(relative(workspace, policyDir)) || '.';
    if (root === '..' || root.startsWith('../') || isAbsolute(root)) throw new ActionInputError(`input path ${JSON.stringify(inputs.path)} is outside the workspace ${workspace}`);
    if (!existsSync(policyDir) || !statSync(policyDir).isDirectory()) throw new ActionInputError(`input path ${JSON.stringify(inputs.path)}: there is no such folder in the workspace ${workspace}`);
    const repoDir = findRepository(policyDir, workspace);
    const event = readEvent(env);
    const pr = event.pullRequest;

    const head = await readHead(policyDir, repoDir);
    const notes: string[] = [];
    const planned = await planHead({
      head,
      repoDir,
      subPath: repoDir ? posixPath(relative(repoDir, policyDir)) : '',
      root,
      baseRef: inputs.baseRef,
      event,
      git: environment.git ?? gitCli(env),
      notes,
    });
    const diagnostics = errorsFirst([...head.diagnostics, ...planned.extraErrors].sort(compareDiagnostics));
    const counts = countBySeverity(diagnostics);
    const summary = { ...head.summary, ...counts };
    const headText = head.read.commit ? `\`${short(head.read.commit)}\`` : 'the working folder';

    // The log: every finding as text (user content, so no workflow commands in it), then the annotations.
    runner.log(`::group::gitmesh validate ${root}${head.read.commit ? ` at ${short(head.read.commit)}` : ''}`);
    runner.logVerbatim(renderText({ diagnostics, summary, root }));
    runner.log('::endgroup::');
    const { annotated, overflow } = selectAnnotations(diagnostics);
    for (const line of renderGithub({ diagnostics: annotated, summary, root }).split('\n')) if (line) runner.log(line);
    if (overflow.length > 0) runner.log(`gitmesh: ${overflow.length} more findings than GitHub annotates (10 errors and 10 warnings per step); the job summary lists them all`);
    if (planned.outcome.kind === 'plan') {
      runner.log('::group::gitmesh plan');
      runner.logVerbatim(renderPlanText(planned.outcome.plan));
      runner.log('::endgroup::');
    } else if (planned.outcome.kind === 'skipped') runner.log(`gitmesh: no plan: ${planned.outcome.reason}`);

    if (inputs.sarifFile) {
      const file = resolve(workspace, inputs.sarifFile);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify(renderSarif({ diagnostics, summary, root, version: VERSION }), null, 2) + '\n');
      runner.log(`gitmesh: SARIF written to ${posixPath(relative(workspace, file))}`);
    }

    const server = (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '');
    const repository = pr?.repository || env.GITHUB_REPOSITORY || '';
    const runUrl = repository && env.GITHUB_RUN_ID ? `${server}/${repository}/actions/runs/${env.GITHUB_RUN_ID}` : undefined;
    if (pr && inputs.githubToken) {
      if (pr.fork && event.name === 'pull_request') {
        notes.push('This pull request comes from a fork, so the workflow token is read-only: the plan is in this summary, not in a pull-request comment.');
        runner.log('gitmesh: a fork\'s pull request: the token is read-only, so no comment; the plan is in the job summary');
      } else {
        const comment = await upsertComment({
          apiUrl: env.GITHUB_API_URL || 'https://api.github.com',
          token: inputs.githubToken,
          repository,
          issue: pr.number,
          marker: commentMarker(root),
          body: renderComment({ marker: commentMarker(root), plan: planned.outcome, errors: diagnostics.filter((d) => d.severity === 'error'), root, head: headText, ...(runUrl && { runUrl }), version: VERSION }),
          // A comment is started only when there is something to read: a change, or errors.
          create: counts.errors > 0 || (planned.outcome.kind === 'plan' && planned.outcome.plan.changed),
          ...(environment.fetch && { fetch: environment.fetch }),
        });
        reportComment(comment, runner, notes);
      }
    }

    // Links to the findings at the head commit, when the workspace is the repository GitHub knows.
    const link =
      head.read.commit && repoDir === workspace && env.GITHUB_REPOSITORY
        ? (file: string, line: number) => `${server}/${env.GITHUB_REPOSITORY}/blob/${head.read.commit}/${file.split('/').map(encodeURIComponent).join('/')}#L${line}`
        : undefined;
    runner.appendSummary(renderSummary({ diagnostics, summary, root, head: headText, ...(link && { link }), plan: planned.outcome, notes }));

    const changed = changedProxies(planned.outcome);
    runner.setOutput('errors', String(counts.errors));
    runner.setOutput('warnings', String(counts.warnings));
    runner.setOutput('changed-proxies', changed === null ? '' : String(changed));

    const failing = inputs.failOn === 'warning' ? counts.errors + counts.warnings : counts.errors;
    runner.log(`gitmesh: ${counts.errors} errors, ${counts.warnings} warnings${changed === null ? '' : `; ${changed} proxies change`}${failing > 0 ? ` (fail-on: ${inputs.failOn})` : ''}`);
    return failing > 0 ? 1 : 0;
  } catch (error) {
    // An input or I/O problem (a typed error) says what to fix; anything else is a bug, with its stack in the log.
    const known = error instanceof ActionInputError || error instanceof GitmeshError;
    const message = known ? (error as Error).message : `internal error (a bug; please report it): ${(error as Error)?.message ?? String(error)}`;
    runner.log(`::error title=gitmesh::${escapeData(`gitmesh: ${message}`)}`);
    if (!known) runner.logVerbatim(String((error as Error)?.stack ?? error));
    return 1;
  }
}

/** Says in the log (and, when it did not work, in the summary's notes) what became of the comment. */
function reportComment(comment: CommentResult, runner: Runner, notes: string[]): void {
  switch (comment.status) {
    case 'created':
    case 'updated':
    case 'unchanged':
      runner.log(`gitmesh: plan comment ${comment.status}: ${comment.url}`);
      return;
    case 'skipped':
      runner.log('gitmesh: nothing changes and no plan comment exists: none made');
      return;
    case 'forbidden':
      runner.log(`gitmesh: the token may not write the plan comment (${comment.reason}); the plan is in the job summary`);
      notes.push('The plan could not be posted as a pull-request comment: the token may not write (a fork\'s pull request, or a job without `permissions: pull-requests: write`). It is in this summary.');
      return;
    case 'failed':
      runner.log(`gitmesh: the plan comment could not be written: ${comment.reason}`);
      notes.push(`The plan comment could not be written (${comment.reason}); the plan is in this summary.`);
      return;
  }
}
