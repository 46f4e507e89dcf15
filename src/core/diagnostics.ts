// Diagnostic: a finding about the input, as plain data (rendering lives in format-diagnostics.ts).
import { CODES, type Code, type Severity } from './codes.js';

/** A path to a node inside one YAML document: keys and list indexes, from the document root. */
export type FieldPath = readonly (string | number)[];

/** One finding, located at file:line:column (1-based); `file` is relative to the repository root. */
export interface Diagnostic {
  readonly code: Code;
  readonly severity: Severity;
  readonly message: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly path?: FieldPath;
  readonly kind?: string;
  readonly name?: string;
  readonly hint?: string;
}

/** Counts for a summary line or the JSON `summary` (DESIGN.md §5). */
export interface ValidationSummary {
  readonly files: number;
  readonly resources: number;
  readonly errors: number;
  readonly warnings: number;
  readonly suppressed: number;
}

/** A finding before it is located: what a validator returns, with a path relative to the resource's spec. */
export interface Finding {
  readonly code: Code;
  readonly path: FieldPath;
  readonly message: string;
  /** Overrides the catalogue's severity (a rule that Kuma treats as a warning in one place only). */
  readonly severity?: Severity;
  /** Point at the key of the last path segment rather than its value (unknown fields). */
  readonly atKey?: boolean;
  /** `path` starts at the document root, not at the spec (labels, metadata). */
  readonly fromRoot?: boolean;
}

/** Builds a diagnostic with the catalogue's severity and hint unless given. */
export function diagnostic(
  code: Code,
  at: { file: string; line?: number; column?: number },
  message: string,
  extra: { severity?: Severity; path?: FieldPath; kind?: string; name?: string; hint?: string } = {},
): Diagnostic {
  const info = CODES[code];
  return {
    code,
    severity: extra.severity ?? info.severity,
    message,
    file: at.file,
    line: at.line ?? 1,
    column: at.column ?? 1,
    ...(extra.path !== undefined && { path: extra.path }),
    ...(extra.kind !== undefined && { kind: extra.kind }),
    ...(extra.name !== undefined && { name: extra.name }),
    hint: extra.hint ?? info.hint,
  };
}

/** Orders diagnostics by file, line, column, then code and message: output never depends on check order. */
export function compareDiagnostics(a: Diagnostic, b: Diagnostic): number {
  return (
    (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
    a.line - b.line ||
    a.column - b.column ||
    (a.code < b.code ? -1 : a.code > b.code ? 1 : 0) ||
    (a.message < b.message ? -1 : a.message > b.message ? 1 : 0)
  );
}

/** Counts errors and warnings. */
export function countBySeverity(diagnostics: readonly Diagnostic[]): { errors: number; warnings: number } {
  let errors = 0;
  for (const d of diagnostics) if (d.severity === 'error') errors++;
  return { errors, warnings: diagnostics.length - errors };
}

/** Formats a field path for messages: `spec.to[0].targetRef.kind`. */
export function formatPath(path: FieldPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += /^[A-Za-z_][A-Za-z0-9_]*$/.test(segment) ? (out ? '.' : '') + segment : `[${JSON.stringify(segment)}]`;
  }
  return out || '(document)';
}
