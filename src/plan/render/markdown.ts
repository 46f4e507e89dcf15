// A plan as GitHub-flavoured Markdown for a PR comment or a job summary: totals table, then one collapsible block per change, bounded in size. Pure.
import type { Diagnostic } from '../../core/diagnostics.js';
import type { Change, FieldChange, Plan } from '../plan.js';
import { baseText, formatValue, groupProxies, MARK, noChangeLine, plural, proxySummary, resourceLabel, revisionText, shownPath, totalsLine, xdsLabel } from './common.js';

/** Size bounds of the Markdown; defaults fit a PR comment (65,536 characters). */
export interface MarkdownLimits {
  /** Most bytes of the whole document (UTF-8); blocks past it are counted in a last note. */
  readonly maxBytes: number;
  /** Most diff lines inside one block (a resource or a group of proxies); the rest are counted. */
  readonly maxLinesPerBlock: number;
}

export const DEFAULT_MARKDOWN_LIMITS: MarkdownLimits = { maxBytes: 60_000, maxLinesPerBlock: 80 };

/** Longest value on a diff line. */
const VALUE_WIDTH = 160;

/** Room kept for the closing note when the budget runs out. */
const FOOTER_RESERVE = 400;

const LABEL: Readonly<Record<Change, string>> = { added: 'added', changed: 'changed', removed: 'removed' };

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function escapeCell(text: string): string {
  return escapeHtml(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** A code span that survives backticks in `text`. */
function code(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = '`'.repeat(longest + 1);
  return longest > 0 ? `${ticks} ${text} ${ticks}` : `${ticks}${text}${ticks}`;
}

/** A code span inside a table cell (GitHub reads `\|` as a literal pipe there, code spans included). */
function cellCode(text: string): string {
  return code(text).replace(/\|/g, '\\|');
}

/** A fenced ```diff block around `lines`, cut at `max` lines with a count of the rest. */
function diffBlock(lines: readonly string[], max: number): string {
  const shown = lines.length > max ? [...lines.slice(0, max), `# … ${plural(lines.length - max, 'more line')} not shown (gitmesh plan --format json has them all)`] : lines;
  const body = shown.join('\n');
  const longest = Math.max(0, ...[...body.matchAll(/`{3,}/g)].map((m) => m[0].length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}diff\n${body}\n${fence}`;
}

/** A field change as diff lines: a change is its old value in red and its new one in green. */
function fieldDiffLines(field: FieldChange, indent: string): string[] {
  const path = shownPath(field.path);
  const out: string[] = [];
  if (field.change !== 'added') out.push(`-${indent}${path}: ${formatValue(field.before, VALUE_WIDTH)}`);
  if (field.change !== 'removed') out.push(`+${indent}${path}: ${formatValue(field.after, VALUE_WIDTH)}`);
  return out;
}

function details(summary: string, body: string): string {
  return `<details><summary>${summary}</summary>\n\n${body}\n\n</details>`;
}

/**
 * Renders `plan` as Markdown ending with a newline: a title, a totals table, the resource
 * changes (a table, and a collapsible diff per changed resource), then one collapsible diff per
 * group of proxies with the same change. Unchanged proxies are counted only. The document stays
 * within `limits.maxBytes` (UTF-8) and every diff within `limits.maxLinesPerBlock` lines; what
 * does not fit is counted in a note that points to the full output.
 */
export function renderPlanMarkdown(plan: Plan, limits: MarkdownLimits = DEFAULT_MARKDOWN_LIMITS): string {
  const head: string[] = ['### gitmesh plan', ''];
  head.push(`Desired ${revisionText(plan.desired, code)} against ${baseText(plan, code)}.`, '');
  for (const note of plan.notes) head.push(`> [!NOTE]\n> ${escapeHtml(note)}`, '');
  if (!plan.changed) {
    head.push(`**${noChangeLine(plan)}**`);
    return head.join('\n') + '\n';
  }
  const { resources, proxies, xds } = plan.totals;
  head.push('| | added | changed | removed | unchanged |', '|---|---:|---:|---:|---:|');
  head.push(resources ? `| resources | ${resources.added} | ${resources.changed} | ${resources.removed} | ${resources.unchanged} |` : '| resources | – | – | – | – |');
  head.push(`| proxies | ${proxies.added} | ${proxies.changed} | ${proxies.removed} | ${proxies.unchanged} |`);
  head.push(`| xDS resources | ${xds.added} | ${xds.changed} | ${xds.removed} | |`, '');

  // Blocks in order; each is kept whole or counted as not shown.
  const blocks: { text: string; what: 'resource' | 'proxy'; count: number }[] = [];
  if (plan.resources && plan.resources.length > 0) {
    const table = ['#### Resources', '', '| | resource | file |', '|---|---|---|'];
    for (const r of plan.resources) table.push(`| ${MARK[r.change]} ${LABEL[r.change]} | ${cellCode(resourceLabel(r))} | ${cellCode(r.file)} |`);
    blocks.push({ text: table.join('\n') + '\n', what: 'resource', count: 0 });
    for (const r of plan.resources) {
      if (!r.fields || r.fields.length === 0) continue;
      const lines = r.fields.flatMap((f) => fieldDiffLines(f, ' '));
      const summary = `${MARK[r.change]} <code>${escapeHtml(resourceLabel(r))}</code>: ${plural(r.fields.length, 'field')} changed`;
      blocks.push({ text: details(summary, diffBlock(lines, limits.maxLinesPerBlock)) + '\n', what: 'resource', count: 1 });
    }
  }
  const groups = groupProxies(plan.proxies);
  if (groups.length > 0) blocks.push({ text: '#### Proxies\n', what: 'proxy', count: 0 });
  for (const group of groups) {
    const { proxy } = group;
    const lines: string[] = [];
    for (const x of proxy.xds) {
      if (x.change === 'changed') {
        lines.push(`@@ ${xdsLabel(x)} @@`);
        for (const f of x.fields ?? []) lines.push(...fieldDiffLines(f, '   '));
      } else lines.push(`${MARK[x.change]} ${xdsLabel(x)} (${LABEL[x.change]})`);
    }
    const ids = group.ids.map((id) => `<code>${escapeHtml(id)}</code>`).join(', ');
    const flavour = proxy.flavour ? ` (${escapeHtml(proxy.flavour)})` : '';
    const summary = `${MARK[proxy.change]} ${ids}${flavour} ${LABEL[proxy.change]}: ${escapeHtml(proxySummary(proxy))}`;
    blocks.push({ text: details(summary, lines.length > 0 ? diffBlock(lines, limits.maxLinesPerBlock) : '_no xDS resources_') + '\n', what: 'proxy', count: group.ids.length });
  }

  const tail = [`${plural(proxies.unchanged, 'proxy', 'proxies')} unchanged.`, '', `_${escapeHtml(totalsLine(plan))}_`];
  let out = head.join('\n') + '\n';
  const budget = limits.maxBytes - Buffer.byteLength(tail.join('\n')) - FOOTER_RESERVE;
  let size = Buffer.byteLength(out);
  const hidden = { resource: 0, proxy: 0 };
  let full = false;
  for (const block of blocks) {
    const bytes = Buffer.byteLength(block.text) + 1;
    if (!full && size + bytes <= budget) {
      out += block.text + '\n';
      size += bytes;
    } else {
      full = true;
      hidden[block.what] += block.count;
    }
  }
  if (hidden.resource + hidden.proxy > 0) {
    const parts = [hidden.resource > 0 && plural(hidden.resource, 'resource'), hidden.proxy > 0 && plural(hidden.proxy, 'proxy', 'proxies')].filter(Boolean);
    out += `> [!WARNING]\n> ${parts.join(' and ')} more not shown: this summary is limited to ${limits.maxBytes} bytes. Run \`gitmesh plan\` (or \`--format json\`) for the whole plan.\n\n`;
  }
  out += tail.join('\n') + '\n';
  return out;
}

/** The desired state does not validate: the errors as a Markdown table (same content as `validate`). */
export function renderInvalidMarkdown(input: { desired: string; diagnostics: readonly Diagnostic[]; limits?: MarkdownLimits }): string {
  const limits = input.limits ?? DEFAULT_MARKDOWN_LIMITS;
  const out = ['### gitmesh plan', '', `:x: ${escapeHtml(input.desired)} is invalid: ${plural(input.diagnostics.length, 'error')}. Nothing can be planned until they are fixed.`, ''];
  out.push('| location | code | message |', '|---|---|---|');
  let size = Buffer.byteLength(out.join('\n'));
  let shown = 0;
  for (const d of input.diagnostics) {
    const subject = d.kind ? `${d.kind}${d.name ? `/${d.name}` : ''}: ` : '';
    const row = `| ${cellCode(`${d.file}:${d.line}:${d.column}`)} | ${d.code} | ${escapeCell(`${subject}${d.message}`)}${d.hint ? `<br>${escapeCell(d.hint)}` : ''} |`;
    if (size + Buffer.byteLength(row) + FOOTER_RESERVE > limits.maxBytes) break;
    out.push(row);
    size += Buffer.byteLength(row) + 1;
    shown++;
  }
  if (shown < input.diagnostics.length) out.push('', `${plural(input.diagnostics.length - shown, 'more error')} not shown; run \`gitmesh validate\`.`);
  return out.join('\n') + '\n';
}
