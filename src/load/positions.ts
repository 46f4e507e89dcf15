// Maps a field path inside a parsed YAML document to the line and column of its node.
import type { Document, LineCounter, Node, Pair, YAMLMap } from 'yaml';
import type { FieldPath } from '../core/diagnostics.js';
import { yamlPackage } from './yaml-package.js';

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
  const { isAlias, isMap, isSeq } = yamlPackage();
  let node: Node | null = (doc.contents as Node | null) ?? null;
  let offset = node?.range?.[0] ?? doc.range?.[0] ?? 0;
  for (let i = 0; i < path.length && node; i++) {
    const segment = path[i]!;
    if (isAlias(node)) node = (node.resolve(doc) as Node | undefined) ?? null;
    if (isMap(node)) {
      const pair = findPair(node, String(segment));
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

/** Mappings above this size get a key index, so locating N findings in them is not O(N²). */
const INDEX_FROM = 32;
const keyIndexes = new WeakMap<YAMLMap, Map<string, Pair>>();

/** The first entry of a mapping whose scalar key reads `key`. */
function findPair(map: YAMLMap, key: string): Pair | undefined {
  const { isPair, isScalar } = yamlPackage();
  const matches = (p: unknown): p is Pair => isPair(p) && isScalar(p.key) && String(p.key.value) === key;
  if (map.items.length < INDEX_FROM) return map.items.find(matches);
  let index = keyIndexes.get(map);
  if (!index) {
    index = new Map();
    for (const p of map.items) {
      if (!isPair(p) || !isScalar(p.key)) continue;
      const k = String(p.key.value);
      if (!index.has(k)) index.set(k, p);
    }
    keyIndexes.set(map, index);
  }
  return index.get(key);
}
