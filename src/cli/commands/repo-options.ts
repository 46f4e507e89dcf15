// `--repo`, `--ref`, `--path`: the options of every command that reads a repository at a revision.
import { Option, type Command } from 'commander';

export interface RepoOptions {
  repo: string;
  ref?: string;
  path?: string;
}

/** Adds `--repo SRC`, `--ref REF` and `--path DIR` with their env twins. */
export function repoOptions(command: Command): Command {
  return command
    .addOption(new Option('--repo <src>', 'an http(s) URL (token in GITMESH_GIT_TOKEN), a local git repository, or a policy folder').env('GITMESH_REPO').makeOptionMandatory())
    .addOption(new Option('--ref <ref>', 'branch, tag, HEAD or commit id (git repositories; default HEAD)').env('GITMESH_REF'))
    .addOption(new Option('--path <dir>', 'the policy folder inside the repository').env('GITMESH_PATH'));
}

