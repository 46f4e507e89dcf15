// The whole validation of one tree of files: load, then validate with every registered kind.
import { countBySeverity, type Diagnostic, type ValidationSummary } from '../core/diagnostics.js';
import type { Resource } from '../core/resource.js';
import { loadFiles, type LoadOptions } from '../load/load.js';
import type { SourceFile } from '../source/types.js';
import { validate, type SuppressRule } from '../validate/index.js';
import { POLICIES } from './registry.js';

export type { ValidationSummary };

export interface FilesValidation {
  readonly resources: Resource[];
  readonly diagnostics: Diagnostic[];
  readonly summary: ValidationSummary;
}

/**
 * Loads and validates the policy files of one revision. Pure and total: read diagnostics from
 * the source (`sourceDiagnostics`) are merged in, and no input makes it throw.
 */
export function validateFiles(input: {
  files: readonly SourceFile[];
  sourceDiagnostics?: readonly Diagnostic[];
  suppress?: readonly SuppressRule[];
  load?: LoadOptions;
}): FilesValidation {
  const loaded = loadFiles(input.files, input.load);
  const result = validate({
    resources: loaded.resources,
    loadDiagnostics: [...(input.sourceDiagnostics ?? []), ...loaded.diagnostics],
    kinds: POLICIES,
    suppress: input.suppress ?? [],
  });
  const { errors, warnings } = countBySeverity(result.diagnostics);
  return {
    resources: result.resources,
    diagnostics: result.diagnostics,
    summary: { files: loaded.files, resources: loaded.resources.length, errors, warnings, suppressed: result.suppressed },
  };
}
