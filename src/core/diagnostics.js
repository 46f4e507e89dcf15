// Diagnostic: a finding about the input, as plain data (rendering lives in cli/format).
import { CODES } from './codes.js';
/** Builds a diagnostic with the catalogue's severity and hint unless given. */
export function diagnostic(code, at, message, extra = {}) {
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
export function compareDiagnostics(a, b) {
    return ((a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
        a.line - b.line ||
        a.column - b.column ||
        (a.code < b.code ? -1 : a.code > b.code ? 1 : 0) ||
        (a.message < b.message ? -1 : a.message > b.message ? 1 : 0));
}
/** Counts errors and warnings. */
export function countBySeverity(diagnostics) {
    let errors = 0;
    for (const d of diagnostics)
        if (d.severity === 'error')
            errors++;
    return { errors, warnings: diagnostics.length - errors };
}
/** Formats a field path for messages: `spec.to[0].targetRef.kind`. */
export function formatPath(path) {
    let out = '';
    for (const segment of path) {
        if (typeof segment === 'number')
            out += `[${segment}]`;
        else
            out += /^[A-Za-z_][A-Za-z0-9_]*$/.test(segment) ? (out ? '.' : '') + segment : `[${JSON.stringify(segment)}]`;
    }
    return out || '(document)';
}
