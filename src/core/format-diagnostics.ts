// Renderers of validation results: text, json, github workflow commands, SARIF 2.1.0. Pure; shared by cli/ and action/.
import { CODES } from './codes.js';
import type { Diagnostic, ValidationSummary } from './diagnostics.js';

export const DIAGNOSTIC_FORMATS = ['text', 'json', 'github', 'sarif'] as const;
export type DiagnosticFormat = (typeof DIAGNOSTIC_FORMATS)[number];

export interface RenderInput {
  readonly diagnostics: readonly Diagnostic[];
  readonly summary: ValidationSummary;
  /** Prefix that turns a file relative to the validated folder into one relative to the workspace. */
  readonly root?: string;
  readonly color?: boolean;
  readonly version?: string;
}

/** Renders in the given format; the result ends with a newline. */
export function renderDiagnostics(format: DiagnosticFormat, input: RenderInput): string {
  switch (format) {
    case 'text':
      return renderText(input);
    case 'json':
      return JSON.stringify({ diagnostics: input.diagnostics, summary: input.summary }, null, 2) + '\n';
    case 'github':
      return renderGithub(input);
    case 'sarif':
      return JSON.stringify(renderSarif(input), null, 2) + '\n';
  }
}

/** `file` (relative to the validated folder) relative to the workspace, given the folder as `root` (`.`, `policies`). */
export function joinRoot(root: string | undefined, file: string): string {
  if (!root || root === '.' || root === './') return file;
  return `${root.replace(/\/+$/, '')}/${file === '.' ? '' : file}`.replace(/\/$/, '') || '.';
}

/** `file:line:col: error GM202 message` lines, a hint under each, and (with a summary) a tally line. */
export function renderText({ diagnostics, summary, root, color = false }: Omit<RenderInput, 'summary'> & { readonly summary?: ValidationSummary }): string {
  const paint = (code: string, text: string) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const lines: string[] = [];
  for (const d of diagnostics) {
    const severity = d.severity === 'error' ? paint('31;1', 'error') : paint('33;1', 'warning');
    const subject = d.kind ? ` ${d.kind}${d.name ? `/${d.name}` : ''}:` : '';
    lines.push(`${paint('1', `${joinRoot(root, d.file)}:${d.line}:${d.column}`)}: ${severity} ${d.code}${subject} ${d.message}`);
    if (d.hint) lines.push(paint('2', `  hint: ${d.hint}`));
  }
  if (!summary) return lines.join('\n') + '\n';
  const { files, resources, errors, warnings, suppressed } = summary;
  const counts = `${plural(errors, 'error')}, ${plural(warnings, 'warning')}${suppressed ? `, ${suppressed} suppressed` : ''}`;
  const tally = `${plural(files, 'file')}, ${plural(resources, 'resource')}: ${counts}`;
  lines.push(errors ? paint('31', tally) : warnings ? paint('33', tally) : paint('32', tally));
  return lines.join('\n') + '\n';
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Escaping of workflow command data and properties (actions/toolkit command.ts). */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** One `::error file=…,line=…,col=…,title=…::message` line per diagnostic. */
export function renderGithub({ diagnostics, root }: RenderInput): string {
  return diagnostics
    .map((d) => {
      const props = `file=${escapeProperty(joinRoot(root, d.file))},line=${d.line},col=${d.column},title=${escapeProperty(`${d.code} ${CODES[d.code].name}`)}`;
      return `::${d.severity} ${props}::${escapeData(d.hint ? `${d.message}\n${d.hint}` : d.message)}\n`;
    })
    .join('');
}

/** A SARIF 2.1.0 log with one run; rules from the code catalogue, paths relative to %SRCROOT%. */
export function renderSarif({ diagnostics, root, version = '0.0.0' }: RenderInput): object {
  const ruleIds = [...new Set(diagnostics.map((d) => d.code))].sort();
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'gitmesh',
            version,
            informationUri: 'https://github.com/gitmesh/gitmesh',
            rules: ruleIds.map((id) => ({
              id,
              name: CODES[id].name,
              shortDescription: { text: CODES[id].description },
              help: { text: CODES[id].hint },
              defaultConfiguration: { level: CODES[id].severity },
            })),
          },
        },
        results: diagnostics.map((d) => ({
          ruleId: d.code,
          ruleIndex: ruleIds.indexOf(d.code),
          level: d.severity,
          message: { text: d.message },
          locations: [
            {
              physicalLocation: {
                // Each segment percent-encoded, so a ':' in a file name never reads as a URI scheme.
                artifactLocation: { uri: joinRoot(root, d.file).split('/').map(encodeURIComponent).join('/'), uriBaseId: '%SRCROOT%' },
                region: { startLine: d.line, startColumn: d.column },
              },
            },
          ],
        })),
      },
    ],
  };
}
