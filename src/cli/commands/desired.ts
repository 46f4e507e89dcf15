// Shared by the commands that compile: read SRC at REF, validate, and stop with diagnostics on errors.
import { buildMeshContexts, type MeshContext } from '../../compile/compile.js';
import { validateFiles, type FilesValidation } from '../../policies/validate-files.js';
import { readSource } from '../../source/index.js';
import { renderDiagnostics } from '../../core/format-diagnostics.js';
import { EXIT, type CliIo } from '../io.js';
import type { RepoOptions } from './repo-options.js';

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
