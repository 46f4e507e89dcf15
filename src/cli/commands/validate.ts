// `gitmesh validate [PATH]`: load + validate a folder, render diagnostics, exit 0/1/2.
import { Command, Option } from 'commander';
import { relative, resolve } from 'node:path';
import { lintCompiled } from '../../compile/lint.js';
import { compareDiagnostics, countBySeverity } from '../../core/diagnostics.js';
import { validateFiles } from '../../policies/validate-files.js';
import { readFolder } from '../../source/folder.js';
import { DEFAULT_LIMITS } from '../../source/types.js';
import { parseSuppressRule, type SuppressRule } from '../../validate/index.js';
import { DIAGNOSTIC_FORMATS, renderDiagnostics, type DiagnosticFormat } from '../../core/format-diagnostics.js';
import { EXIT, parseSize, UsageError, type CliIo } from '../io.js';

interface ValidateOptions {
  format: DiagnosticFormat;
  suppress: string[];
  failureThreshold: 'error' | 'warning';
  maxFileSize?: string;
}

export function validateCommand(io: CliIo, setExit: (code: number) => void, version: string): Command {
  return new Command('validate')
    .description('load and validate a folder of mesh resources; exit 0 valid, 1 invalid, 2 usage or I/O error')
    .argument('[path]', 'the policy folder', '.')
    .addOption(new Option('--format <format>', 'output format').choices(DIAGNOSTIC_FORMATS).default('text').env('GITMESH_FORMAT'))
    .addOption(
      new Option('--suppress <rule>', 'hide a code, optionally on some resources: CODE or CODE=KIND/NAME (globs); repeatable')
        .argParser((value: string, previous: string[] = []) => [...previous, value])
        .default([]),
    )
    .addOption(new Option('--failure-threshold <severity>', 'lowest severity that fails the run').choices(['error', 'warning']).default('error').env('GITMESH_FAILURE_THRESHOLD'))
    .addOption(new Option('--max-file-size <size>', 'largest policy file read (e.g. 4MiB)').env('GITMESH_MAX_FILE_SIZE'))
    .action(async (path: string, options: ValidateOptions) => {
      let suppress: SuppressRule[];
      let maxFileSize = DEFAULT_LIMITS.maxFileSize;
      try {
        suppress = options.suppress.map(parseSuppressRule);
        if (options.maxFileSize) maxFileSize = parseSize(options.maxFileSize);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      const read = await readFolder(resolve(io.cwd, path), { ...DEFAULT_LIMITS, maxFileSize });
      const validated = validateFiles({ files: read.files, sourceDiagnostics: read.diagnostics, suppress });
      // A valid repository is also compiled for every proxy: what a flavour cannot express shows here too.
      const compiled = validated.summary.errors === 0 ? lintCompiled(validated.resources, suppress) : { diagnostics: [], suppressed: 0 };
      const diagnostics = [...validated.diagnostics, ...compiled.diagnostics].sort(compareDiagnostics);
      const counts = countBySeverity(diagnostics);
      const result = { diagnostics, summary: { ...validated.summary, ...counts, suppressed: validated.summary.suppressed + compiled.suppressed } };
      // Annotations and SARIF name files from the working directory (the workspace on CI), however PATH was written.
      const root = relative(io.cwd, resolve(io.cwd, path)) || '.';
      io.stdout(renderDiagnostics(options.format, { diagnostics: result.diagnostics, summary: result.summary, root, color: io.isTty, version }));
      const failing = options.failureThreshold === 'warning' ? result.summary.errors + result.summary.warnings : result.summary.errors;
      setExit(failing > 0 ? EXIT.invalid : EXIT.ok);
    });
}
