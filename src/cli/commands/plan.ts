// `gitmesh plan --repo SRC [--ref REF] (--base REF | --live URL)`: what a change does, resources then xDS per proxy; exit 0 none, 3 changes, 1 invalid, 2 usage/IO.
import { Command, Option } from 'commander';
import { EXIT, parseSize, UsageError, type CliIo } from '../io.js';
import type { MarkdownLimits } from '../../plan/render/markdown.js';
import { repoOptions, type RepoOptions } from './repo-options.js';

interface PlanOptions extends RepoOptions {
  base?: string;
  live?: string;
  format: 'text' | 'json' | 'markdown';
  maxBytes?: string;
  maxLines?: string;
}

export function planCommand(io: CliIo, setExit: (code: number) => void): Command {
  return repoOptions(new Command('plan'))
    .description('show what the desired revision changes against a base commit or a running gitmesh: resources, then each proxy\'s xDS; exit 0 no change, 3 changes, 1 invalid, 2 usage or I/O error')
    .addOption(new Option('--base <ref>', 'compare with this revision of the same repository (branch, tag, HEAD or commit id)').env('GITMESH_BASE'))
    .addOption(new Option('--live <url>', 'compare with what a running gitmesh serves: its admin API base, e.g. http://127.0.0.1:5680').env('GITMESH_LIVE'))
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json', 'markdown']).default('text').env('GITMESH_PLAN_FORMAT'))
    .addOption(new Option('--max-bytes <size>', 'markdown: largest output in bytes (default 60000: fits a PR comment; e.g. 900KiB for a job summary)').env('GITMESH_PLAN_MAX_BYTES'))
    .addOption(new Option('--max-lines <n>', 'markdown: most diff lines per resource or proxy block (default 80)').env('GITMESH_PLAN_MAX_LINES'))
    .action(async (options: PlanOptions) => {
      if ((options.base === undefined) === (options.live === undefined)) {
        throw new UsageError(options.base === undefined ? 'plan needs a base: --base REF (a revision of the repository) or --live URL (a running gitmesh)' : '--base and --live are exclusive: plan against one base');
      }
      // Loaded on use: `validate` and `--help` need none of compile, protobuf or git.
      const { isGitRepository } = await import('../../source/git.js');
      const { readSource, RefNotFoundError } = await import('../../source/index.js');
      const { EncodeCache } = await import('../../xds/snapshot.js');
      const { planOf } = await import('../../plan/plan.js');
      const { readRevisionSide, planResources } = await import('../../plan/revision.js');
      const { fetchLiveSnapshot, liveSide, snapshotUrl } = await import('../../plan/live.js');
      const { renderPlanText } = await import('../../plan/render/text.js');
      const { DEFAULT_MARKDOWN_LIMITS, renderPlanMarkdown, renderInvalidMarkdown } = await import('../../plan/render/markdown.js');
      const { renderDiagnostics } = await import('../../core/format-diagnostics.js');
      const { resolve } = await import('node:path');
      const limits = markdownLimits(options, DEFAULT_MARKDOWN_LIMITS);

      const remote = /^https?:\/\//i.test(options.repo);
      const isFolder = !remote && !isGitRepository(resolve(io.cwd, options.repo));
      if (options.base !== undefined && isFolder) {
        throw new UsageError(`--base needs a git repository, and ${options.repo} is a plain folder: plan it against a running gitmesh with --live URL`);
      }
      const source = { src: options.repo, cwd: io.cwd, env: io.env, ...(options.path !== undefined && { path: options.path }) };
      const encode = new EncodeCache();
      const desired = await readRevisionSide({ ...source, ...(options.ref !== undefined && { ref: options.ref }) }, encode);
      if (!desired.ok) {
        const what = `the desired state (${options.repo}${desired.commit ? ` at ${desired.commit.slice(0, 12)}` : ''})`;
        if (options.format === 'markdown') io.stdout(renderInvalidMarkdown({ desired: what, diagnostics: desired.diagnostics, limits }));
        else io.stdout(renderDiagnostics(options.format === 'json' ? 'json' : 'text', { diagnostics: desired.diagnostics, summary: desired.summary, color: io.isTty && options.format === 'text' }));
        if (options.format === 'text') io.stderr(`gitmesh: ${what} is invalid; nothing to plan\n`);
        return setExit(EXIT.invalid);
      }

      let base;
      const notes: string[] = [];
      if (options.base !== undefined) {
        const read = await readRevisionSide({ ...source, ref: options.base }, encode);
        if (!read.ok) {
          io.stderr(`gitmesh: the base ${options.base}${read.commit ? ` (${read.commit.slice(0, 12)})` : ''} is invalid, so it was never served; plan against --live instead\n`);
          io.stderr(renderDiagnostics('text', { diagnostics: read.diagnostics, summary: read.summary, color: false }));
          return setExit(EXIT.invalid);
        }
        base = { ...read.side, ref: options.base, live: null };
      } else {
        const live = await fetchLiveSnapshot(options.live!);
        const side = liveSide(live);
        let resources = null;
        if (live.commit === null) notes.push('the live server serves a folder (no commit), so resource changes are not compared; xDS changes are');
        else if (isFolder) notes.push(`the live server serves commit ${live.commit.slice(0, 12)} and SRC is a folder, so resource changes are not compared; xDS changes are`);
        else {
          try {
            resources = planResources((await readSource({ ...source, ref: live.commit })).files);
          } catch (error) {
            if (!(error instanceof RefNotFoundError)) throw error;
            notes.push(`the live commit ${live.commit.slice(0, 12)} is not in ${options.repo} (fetch it), so resource changes are not compared; xDS changes are`);
          }
        }
        base = { ...side, resources, ref: null, live: snapshotUrl(options.live!).shown };
      }

      const plan = planOf({ desired: { ...desired.side, ref: options.ref ?? null }, base, notes });
      if (options.format === 'json') io.stdout(JSON.stringify(plan, null, 2) + '\n');
      else if (options.format === 'markdown') io.stdout(renderPlanMarkdown(plan, limits));
      else io.stdout(renderPlanText(plan, { color: io.isTty }));
      setExit(plan.changed ? EXIT.changes : EXIT.ok);
    });
}

/** `--max-bytes` and `--max-lines`, checked; `defaults` for those not given. */
function markdownLimits(options: PlanOptions, defaults: MarkdownLimits): MarkdownLimits {
  let { maxBytes, maxLinesPerBlock } = defaults;
  try {
    if (options.maxBytes !== undefined) maxBytes = parseSize(options.maxBytes);
  } catch (error) {
    throw new UsageError(`--max-bytes: ${(error as Error).message}`);
  }
  if (options.maxLines !== undefined) {
    if (!/^\d+$/.test(options.maxLines.trim()) || Number(options.maxLines) < 1) throw new UsageError(`--max-lines ${JSON.stringify(options.maxLines)} is not a positive whole number`);
    maxLinesPerBlock = Number(options.maxLines);
  }
  if (maxBytes < 4096) throw new UsageError(`--max-bytes ${options.maxBytes} is too small; give at least 4KiB`);
  return { maxBytes, maxLinesPerBlock };
}
