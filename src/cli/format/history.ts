// Renderer of `gitmesh history` for people: one block per commit, newest first. Pure.
import type { History, HistoryEntry, ResourceChange } from '../../reconcile/history.js';

/** Fields listed per changed resource at most; the rest are counted. */
const FIELDS_SHOWN = 6;

/**
 * `<commit 12>  <date>  <author name> <email>`, the subject, one line per resource
 * (`+` added, `~` changed with its fields, `-` removed), then what the applied log says (live,
 * ACKs/NACKs, revert, rollback, or rejected). A closing note says where and why the walk stopped.
 */
export function renderHistoryText(history: History, options: { readonly color?: boolean; readonly stateDir?: boolean } = {}): string {
  const paint = (code: string, text: string) => (options.color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const blocks = history.entries.map((entry) => renderEntry(entry, paint, options.stateDir === true));
  const lines = blocks.length > 0 ? [blocks.join('\n\n')] : ['no commit changed a policy'];
  const stop = history.stopped;
  if (stop?.reason === 'limit') lines.push('', paint('2', `(stopped after ${history.entries.length} commits: older ones may have changed policies too; raise --limit to see them)`));
  if (stop?.reason === 'max-commits') lines.push('', paint('2', '(stopped: too many commits walked; narrow the history with --ref or raise the limit)'));
  if (stop?.reason === 'shallow') {
    const at = (stop.at ?? []).map((c) => c.slice(0, 12)).join(', ');
    lines.push('', paint('2', `(the repository is shallow: history ends at ${at}, whose parents it does not hold; fetch more history (git fetch --unshallow) to see older commits)`));
  }
  return lines.join('\n') + '\n';
}

function renderEntry(entry: HistoryEntry, paint: (code: string, text: string) => string, withLog: boolean): string {
  const subject = entry.message.trim().split('\n', 1)[0] ?? '';
  const lines = [`${paint('33', entry.commit.slice(0, 12))}  ${entry.date}  ${entry.author.name} <${entry.author.email}>`, `    ${subject}`];
  for (const change of entry.changes) lines.push(`    ${renderChange(change, paint)}`);
  const { applied, rejected } = entry;
  if (applied) {
    const counts = applied.settled
      ? `${applied.acked} ACKed, ${applied.nacked} NACKed${applied.settled.pending ? `, ${applied.settled.pending} pending` : ''}${applied.settled.disconnected ? `, ${applied.settled.disconnected} not connected` : ''}`
      : 'ACKs not recorded yet';
    const live = `live ${applied.at}: ${plural(applied.proxies, 'proxy', 'proxies')} changed, ${counts}`;
    lines.push(`    ${applied.nacked > 0 ? paint('31', live) : paint('32', live)}`);
    if (applied.revertOf) lines.push(`    revert of ${applied.revertOf.map((c) => c.slice(0, 12)).join(', ')}`);
    if (applied.rolledBack) {
      const to = applied.rolledBack.to ? ` (back to ${applied.rolledBack.to.slice(0, 12)})` : '';
      lines.push(`    ${paint('31', `rolled back ${applied.rolledBack.at}${to}: ${applied.rolledBack.reason}`)}`);
    }
  } else if (rejected) {
    lines.push(`    ${paint('31', `rejected ${rejected.at}: ${plural(rejected.errors, 'error', 'errors')}`)}`);
    for (const d of rejected.diagnostics.slice(0, 3)) lines.push(`      ${d}`);
  } else if (withLog) {
    lines.push(`    ${paint('2', 'not in the applied log (never live here)')}`);
  }
  return lines.join('\n');
}

function renderChange(change: ResourceChange, paint: (code: string, text: string) => string): string {
  const where = change.kind === 'Mesh' ? change.name : `${change.mesh}/${change.name}`;
  if (change.change === 'added') return paint('32', `+ ${change.kind} ${where}`);
  if (change.change === 'removed') return paint('31', `- ${change.kind} ${where}`);
  const shown = change.fields.slice(0, FIELDS_SHOWN).join(', ');
  const more = change.fields.length > FIELDS_SHOWN ? ` and ${change.fields.length - FIELDS_SHOWN} more` : '';
  return `${paint('36', `~ ${change.kind} ${where}`)}: ${shown}${more}`;
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}
