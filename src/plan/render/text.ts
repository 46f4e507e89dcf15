// A plan for a terminal: resources, then proxies (identical changes grouped), then totals; colored on request. Pure.
import type { Change, Plan } from '../plan.js';
import { baseText, fieldLine, headingCounts, groupProxies, MARK, noChangeLine, proxySummary, resourceLabel, revisionText, totalsLine, xdsLabel } from './common.js';

/** Longest value shown on a field line; longer ones end in `…` (the JSON format has them whole). */
const VALUE_WIDTH = 200;

const COLOR: Readonly<Record<Change, string>> = { added: '32', changed: '33', removed: '31' };

/**
 * Renders `plan` as text ending with a newline. Unchanged proxies are counted, not listed;
 * proxies with the same change are listed together. `color` adds ANSI colors (a TTY).
 */
export function renderPlanText(plan: Plan, options: { color?: boolean } = {}): string {
  const paint = (code: string, text: string) => (options.color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const mark = (change: Change, text: string) => paint(COLOR[change], `${MARK[change]} ${text}`);
  const field = (line: string) => paint(line.startsWith('+') ? COLOR.added : line.startsWith('-') ? COLOR.removed : COLOR.changed, line);
  const lines: string[] = [paint('1', `gitmesh plan: ${revisionText(plan.desired)} against ${baseText(plan)}`)];
  for (const note of plan.notes) lines.push(paint('2', `note: ${note}`));

  lines.push('');
  if (plan.resources === null) lines.push(`${paint('1', 'Resources:')} not compared`);
  else {
    const totals = plan.totals.resources!;
    lines.push(`${paint('1', 'Resources:')} ${headingCounts(totals)}`);
    for (const r of plan.resources) {
      lines.push(`  ${mark(r.change, resourceLabel(r))}  ${paint('2', r.file)}`);
      for (const f of r.fields ?? []) lines.push(`      ${field(fieldLine(f, VALUE_WIDTH))}`);
    }
  }

  lines.push('');
  const proxies = plan.totals.proxies;
  lines.push(`${paint('1', 'Proxies:')} ${headingCounts(proxies)}`);
  for (const group of groupProxies(plan.proxies)) {
    const { proxy } = group;
    const flavour = proxy.flavour ? ` (${proxy.flavour})` : '';
    lines.push(`  ${mark(proxy.change, group.ids.join(', '))}${flavour}: ${proxySummary(proxy)}`);
    for (const x of proxy.xds) {
      lines.push(`      ${mark(x.change, xdsLabel(x))}`);
      for (const f of x.fields ?? []) lines.push(`          ${field(fieldLine(f, VALUE_WIDTH))}`);
    }
  }

  lines.push('');
  lines.push(paint('1', plan.changed ? totalsLine(plan) : noChangeLine(plan)));
  return lines.join('\n') + '\n';
}
