// Shared by the commands that compile: read SRC at REF, validate, and stop with diagnostics on errors.
import { Option } from 'commander';
import type { Command } from 'commander';
import { buildMeshContexts, type MeshContext } from '../../compile/compile.js';
import { validateFiles, type FilesValidation } from '../../policies/validate-files.js';
import { readSource } from '../../source/index.js';
import { renderDiagnostics } from '../format/diagnostics.js';
import { EXIT, type CliIo } from '../io.js';

export interface RepoOptions {
  repo: string;
  ref?: string;
  path?: string;
}

/** Adds `--repo SRC`, `--ref REF` and `--path DIR` with their env twins. */
export function repoOptions(command: Command): Command {
  return command
    .addOption(new Option('--repo <src>', 'a local git repository or policy folder').env('GITMESH_REPO').makeOptionMandatory())
    .addOption(new Option('--ref <ref>', 'branch, tag, HEAD or commit id (git repositories; default HEAD)').env('GITMESH_REF'))
    .addOption(new Option('--path <dir>', 'the policy folder inside the repository').env('GITMESH_PATH'));
}

/** The desired state at one revision: its commit, its validation, and (when valid) its mesh contexts. */
export interface Desired {
  readonly commit: string | null;
  readonly validation: FilesValidation;
  readonly contexts: Map<string, MeshContext>;
}

/**
 * Reads and validates SRC at REF. On errors it prints them (text, to stderr) and returns the
 * exit code to stop with; warnings never stop it (DESIGN.md §6).
 */
export async function readDesired(io: CliIo, options: RepoOptions): Promise<Desired | { exit: number }> {
  const read = await readSource({ src: options.repo, cwd: io.cwd, ...(options.ref !== undefined && { ref: options.ref }), ...(options.path !== undefined && { path: options.path }) });
  const validation = validateFiles({ files: read.files, sourceDiagnostics: read.diagnostics });
  if (validation.summary.errors > 0) {
    io.stderr(renderDiagnostics('text', { diagnostics: validation.diagnostics.filter((d) => d.severity === 'error'), summary: validation.summary, color: false }));
    return { exit: EXIT.invalid };
  }
  return { commit: read.commit, validation, contexts: buildMeshContexts(validation.resources) };
}
