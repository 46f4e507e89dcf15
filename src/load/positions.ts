// Maps a field path inside a parsed YAML document to the line and column of its node.
import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { FieldPath } from '../core/diagnostics.js';

/**
 * Returns the 1-based position of the node at `path`, or of its deepest existing ancestor
 * (so a missing field points at the mapping that lacks it). With `atKey`, a mapping entry
 * is located at its key rather than its value (unknown fields are reported on the key).
 */
export function locateInDocument(
  doc: Document,
  lineCounter: LineCounter,
  path: FieldPath,
  atKey = false,
): { line: number; column: number } {
  let node: Node | null = (doc.contents as Node | null) ?? null;
  let offset = node?.range?.[0] ?? doc.range?.[0] ?? 0;
  for (let i = 0; i < path.length && node; i++) {
    const segment = path[i]!;
    if (isAlias(node)) node = (node.resolve(doc) as Node | undefined) ?? null;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) break;
      const key = pair.key as Node;
      const value = (pair.value as Node | null) ?? null;
      const last = i === path.length - 1;
      if ((last && atKey) || !value?.range) {
        offset = key.range?.[0] ?? offset;
        node = last ? null : value;
        continue;
      }
      node = value;
      offset = value.range[0];
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = (node.items[segment] as Node | undefined) ?? null;
      if (!item?.range) break;
      node = item;
      offset = item.range[0];
    } else {
      break;
    }
  }
  const pos = lineCounter.linePos(offset);
  return { line: pos.line, column: pos.col };
}
