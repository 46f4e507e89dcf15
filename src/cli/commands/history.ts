// `gitmesh history --repo SRC [--ref REF] [--resource KIND/NAME] [--state-dir DIR]`: the commits that changed policies, and when they went live.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { EXIT, UsageError, type CliIo } from '../io.js';
import { repoOptions, type RepoOptions } from './repo-options.js';

interface HistoryOptions extends RepoOptions {
  resource?: string;
  stateDir?: string;
  limit: string;
  format: 'text' | 'json';
}

export function historyCommand(io: CliIo, setExit: (code: number) => void): Command {
  return repoOptions(new Command('history'))
    .description('audit: the commits that changed policies, newest first: by whom, which resources and fields, and (with --state-dir) when each went live and how proxies took it; exit 0, 2 usage or I/O error')
    .addOption(new Option('--resource <resource>', 'only commits that changed this resource: KIND/NAME or KIND/MESH/NAME'))
    .addOption(new Option('--state-dir <dir>', "serve's state dir, whose applied log says when each commit went live, ACKs, NACKs, rollbacks").env('GITMESH_STATE_DIR'))
    .addOption(new Option('--limit <n>', 'show at most N commits').default('50'))
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (options: HistoryOptions) => {
      const { historyOf, historyJson, parseResourceFilter } = await import('../../reconcile/history.js');
      const { renderHistoryText } = await import('../format/history.js');
      const limit = Number(options.limit);
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`--limit ${JSON.stringify(options.limit)}: give a whole number of commits, 1 or more`);
      const resource = options.resource !== undefined ? parseResourceFilter(options.resource) : undefined;
      if (options.stateDir !== undefined && !existsSync(join(resolve(io.cwd, options.stateDir), 'applied.jsonl'))) {
        io.stderr(`gitmesh: no applied log in ${options.stateDir} (applied.jsonl); showing the git history only\n`);
      }
      const history = await historyOf({
        src: options.repo,
        cwd: io.cwd,
        env: io.env,
        limit,
        ...(options.ref !== undefined && { ref: options.ref }),
        ...(options.path !== undefined && { path: options.path }),
        ...(resource !== undefined && { resource }),
        ...(options.stateDir !== undefined && { stateDir: options.stateDir }),
      });
      if (options.format === 'json') io.stdout(JSON.stringify(historyJson(history), null, 2) + '\n');
      else io.stdout(renderHistoryText(history, { color: io.isTty, stateDir: options.stateDir !== undefined }));
      setExit(EXIT.ok);
    });
}
