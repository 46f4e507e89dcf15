// `gitmesh rollback --repo SRC --to COMMIT [--ref BRANCH]`: a commit that returns BRANCH to COMMIT's tree, pushed when SRC is remote.
import { Command, Option } from 'commander';
import { EXIT, type CliIo } from '../io.js';

interface RollbackCliOptions {
  repo: string;
  to: string;
  ref: string;
}

export function rollbackCommand(io: CliIo, setExit: (code: number) => void): Command {
  return new Command('rollback')
    .description('write a new commit on BRANCH whose tree equals COMMIT\'s (a revert to that state), and push it when SRC is an http(s) URL; works with no git identity configured (committer gitmesh); exit 0 done, 1 refused (uncommitted changes, another branch checked out, the remote moved), 2 usage or I/O error')
    .addOption(new Option('--repo <src>', 'a local git repository, or an http(s) URL (token in GITMESH_GIT_TOKEN)').env('GITMESH_REPO').makeOptionMandatory())
    .addOption(new Option('--to <commit>', 'the commit (7+ hex digits) or tag whose state to return to').makeOptionMandatory())
    .addOption(new Option('--ref <branch>', 'the branch to write the rollback commit on').env('GITMESH_REF').default('main'))
    .action(async (options: RollbackCliOptions) => {
      const { PushRejectedError, rollbackBranch, RollbackRefusedError } = await import('../../source/write.js');
      let result: Awaited<ReturnType<typeof rollbackBranch>>;
      try {
        result = await rollbackBranch({ repo: options.repo, to: options.to, branch: options.ref, cwd: io.cwd, env: io.env });
      } catch (error) {
        if (error instanceof RollbackRefusedError || error instanceof PushRejectedError) {
          io.stderr(`gitmesh: rollback refused: ${error.message}\n`);
          return setExit(EXIT.invalid);
        }
        throw error;
      }
      if (result.outcome === 'unchanged') {
        io.stdout(`${result.branch} already has the tree of ${result.to.slice(0, 12)}; nothing to roll back\n`);
        return setExit(EXIT.ok);
      }
      const subject = result.message.split('\n', 1)[0]!;
      const undone = result.undone.map((c) => c.slice(0, 12));
      const lines = [
        `${result.branch}: ${result.commit.slice(0, 12)} ${subject}`,
        `  undoes ${undone.length} commit${undone.length === 1 ? '' : 's'}: ${undone.slice(0, 10).join(', ')}${undone.length > 10 ? ', …' : ''}`,
        `  author ${result.author.name} <${result.author.email}>, committer ${result.committer.name}`,
      ];
      if (result.pushed) lines.push(`  pushed to ${options.repo.replace(/\/\/[^/@]*@/, '//')} (${result.previous.slice(0, 12)}..${result.commit.slice(0, 12)})`);
      else if (result.checkedOut) lines.push('  work tree and index updated');
      io.stdout(lines.join('\n') + '\n');
      setExit(EXIT.ok);
    });
}
