// What the action shows: which findings become annotations, the job summary and the pull-request comment, each within GitHub's limits. Pure.
import type { Diagnostic, ValidationSummary } from '../core/diagnostics.js';
import { joinRoot } from '../core/format-diagnostics.js';
import type { Plan } from '../plan/plan.js';
import { DEFAULT_MARKDOWN_LIMITS, renderInvalidMarkdown, renderPlanMarkdown } from '../plan/render/markdown.js';

/** GitHub shows at most 10 error and 10 warning annotations of one step (the rest are dropped). */
export const ANNOTATION_LIMIT = 10;

/** A job summary holds at most 1 MiB per step; this stays under it with room to spare. */
export const SUMMARY_MAX_BYTES = 1_000_000;

/** A comment holds at most 65,536 characters; the plan in it stays within this many bytes. */
export const COMMENT_MAX_BYTES = DEFAULT_MARKDOWN_LIMITS.maxBytes;

/** The findings that become annotations: the first errors, then the first warnings, `limit` of each; and the ones left out. */
export function selectAnnotations(ordered: readonly Diagnostic[], limit = ANNOTATION_LIMIT): { annotated: Diagnostic[]; overflow: Diagnostic[] } {
  const errors = ordered.filter((d) => d.severity === 'error');
  const warnings = ordered.filter((d) => d.severity !== 'error');
  return {
    annotated: [...errors.slice(0, limit), ...warnings.slice(0, limit)],
    overflow: [...errors.slice(limit), ...warnings.slice(limit)],
  };
}

/** Errors first, then warnings, each in the given (file, line) order. */
export function errorsFirst(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics.filter((d) => d.severity === 'error'), ...diagnostics.filter((d) => d.severity !== 'error')];
}

function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Text for a table cell: no HTML, no column breaks, no line breaks. */
function cell(text: string): string {
  return escapeHtml(text).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** A code span in a table cell (GitHub reads `\|` as a literal pipe there too). */
function cellCode(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  return (longest > 0 ? `${ticks} ${text} ${ticks}` : `${ticks}${text}${ticks}`).replace(/\|/g, '\\|');
}

const bytes = (text: string) => Buffer.byteLength(text);

/** The plan part of the report: a plan, or why there is none. */
export type PlanOutcome =
  | { readonly kind: 'plan'; readonly plan: Plan }
  /** The head has errors: nothing is planned. */
  | { readonly kind: 'invalid' }
  /** No base to compare with (none given, not fetched, invalid): the reason. */
  | { readonly kind: 'skipped'; readonly reason: string };

/** What the job summary is made of. */
export interface SummaryInput {
  /** Findings of the head, errors first (errorsFirst). */
  readonly diagnostics: readonly Diagnostic[];
  readonly summary: ValidationSummary;
  /** The policy folder relative to the workspace (`.`, `policies`): findings' files are relative to it. */
  readonly root: string;
  /** What was validated: `` `3f2a1b4c5d6e` `` or `the working folder`. */
  readonly head: string;
  /** A link to a file and line at the head commit, when one can be made. */
  readonly link?: (file: string, line: number) => string | undefined;
  readonly plan: PlanOutcome;
  /** Things to say first (the comment could not be written, the base was fetched). */
  readonly notes?: readonly string[];
  /** Default SUMMARY_MAX_BYTES. */
  readonly maxBytes?: number;
}

/** Rows of findings at most in the summary: past this (or past half the budget when a plan follows) they are counted. */
const MAX_ROWS = 2_000;

/**
 * The job summary: a headline with the counts, notes, the table of findings (errors first;
 * which of them are not annotations), then the plan from base to head (renderPlanMarkdown) or
 * why there is none. Within `maxBytes` (UTF-8): findings that do not fit are counted in a note,
 * and the plan gets what is left (it cuts itself with its own note).
 */
export function renderSummary(input: SummaryInput): string {
  const maxBytes = input.maxBytes ?? SUMMARY_MAX_BYTES;
  const { summary, diagnostics, root } = input;
  const where = root === '.' ? 'the repository' : cellCode(root);
  const counts = `${plural(summary.errors, 'error')}, ${plural(summary.warnings, 'warning')}${summary.suppressed ? ` (${summary.suppressed} suppressed)` : ''}`;
  const head: string[] = ['## gitmesh', ''];
  const mark = summary.errors > 0 ? ':x:' : summary.warnings > 0 ? ':warning:' : ':white_check_mark:';
  head.push(`${mark} **${counts}** in ${where} at ${input.head} (${plural(summary.files, 'file')}, ${plural(summary.resources, 'resource')}).`, '');
  for (const note of input.notes ?? []) head.push(`> [!NOTE]\n> ${escapeHtml(note).replace(/\n/g, '\n> ')}`, '');
  let out = head.join('\n') + '\n';

  if (diagnostics.length > 0) {
    const { overflow } = selectAnnotations(diagnostics);
    const lines = ['### Findings', ''];
    if (overflow.length > 0) {
      const errors = overflow.filter((d) => d.severity === 'error').length;
      const warnings = overflow.length - errors;
      const left = [errors > 0 && plural(errors, 'error'), warnings > 0 && plural(warnings, 'warning')].filter(Boolean).join(' and ');
      lines.push(`GitHub shows ${ANNOTATION_LIMIT} errors and ${ANNOTATION_LIMIT} warnings of a step as annotations: ${left} more (below, after the first ${ANNOTATION_LIMIT} of each) are listed only here.`, '');
    }
    lines.push('| | code | where | message |', '|---|---|---|---|');
    // Half the budget when a plan follows; the plan renders itself into what is left.
    const budget = (input.plan.kind === 'plan' ? maxBytes / 2 : maxBytes) - bytes(out) - 600;
    let size = bytes(lines.join('\n'));
    let shown = 0;
    for (const d of diagnostics) {
      const file = joinRoot(root, d.file);
      const at = `${file}:${d.line}:${d.column}`;
      const url = input.link?.(file, d.line);
      const subject = d.kind ? `${d.kind}${d.name ? `/${d.name}` : ''}: ` : '';
      const row = `| ${d.severity} | ${cellCode(d.code)} | ${url ? `[${cellCode(at)}](${url})` : cellCode(at)} | ${cell(subject + d.message)}${d.hint ? `<br><sub>${cell(d.hint)}</sub>` : ''} |`;
      if (shown >= MAX_ROWS || size + bytes(row) + 1 > budget) break;
      lines.push(row);
      size += bytes(row) + 1;
      shown++;
    }
    if (shown < diagnostics.length) {
      lines.push('', `> [!WARNING]\n> ${plural(diagnostics.length - shown, 'more finding')} not shown: the summary is limited to ${maxBytes} bytes. Run \`npx gitmesh validate ${root}\` for all of them.`);
    }
    out += lines.join('\n') + '\n\n';
  }

  if (input.plan.kind === 'plan') {
    const room = maxBytes - bytes(out);
    if (room >= 4096) out += renderPlanMarkdown(input.plan.plan, { maxBytes: room, maxLinesPerBlock: DEFAULT_MARKDOWN_LIMITS.maxLinesPerBlock });
    else out += `### gitmesh plan\n\nNot shown: the findings fill the summary (limited to ${maxBytes} bytes). Run \`gitmesh plan\` for it.\n`;
  } else if (input.plan.kind === 'invalid') {
    out += '### gitmesh plan\n\nNothing is planned: the head has errors (above). Fix them to see what the change does to the proxies.\n';
  } else {
    out += `### gitmesh plan\n\nNo plan: ${escapeHtml(input.plan.reason)}.\n`;
  }
  return out;
}

/** What the pull-request comment is made of. */
export interface CommentInput {
  /** The hidden marker line the comment is found by. */
  readonly marker: string;
  readonly plan: PlanOutcome;
  /** Errors of the head, for the table of an invalid head. */
  readonly errors: readonly Diagnostic[];
  /** The policy folder relative to the workspace. */
  readonly root: string;
  /** The head as shown (`` `3f2a1b4c5d6e` ``). */
  readonly head: string;
  /** The workflow run's page, for the full findings. */
  readonly runUrl?: string;
  readonly version: string;
}

/**
 * The pull-request comment: the marker, then the plan (within COMMENT_MAX_BYTES), the errors
 * of an invalid head, or why there is no plan; and a footer naming the head and the run.
 */
export function renderComment(input: CommentInput): string {
  let body: string;
  if (input.plan.kind === 'plan') body = renderPlanMarkdown(input.plan.plan, { maxBytes: COMMENT_MAX_BYTES, maxLinesPerBlock: DEFAULT_MARKDOWN_LIMITS.maxLinesPerBlock });
  else if (input.plan.kind === 'invalid') {
    const errors = input.errors.map((d) => ({ ...d, file: joinRoot(input.root, d.file) }));
    body = renderInvalidMarkdown({ desired: 'the head', diagnostics: errors, limits: { ...DEFAULT_MARKDOWN_LIMITS, maxBytes: COMMENT_MAX_BYTES } });
  } else body = `### gitmesh plan\n\nNo plan: ${escapeHtml(input.plan.reason)}.\n`;
  const run = input.runUrl ? ` · [workflow run](${input.runUrl})` : '';
  return `${input.marker}\n${body}\n<sub>gitmesh ${escapeHtml(input.version)} · head ${input.head}${run}</sub>\n`;
}
