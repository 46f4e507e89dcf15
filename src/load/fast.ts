// The fast path of the loader: js-yaml for values, taken only where it reads a file as the yaml package would.
import { FAILSAFE_SCHEMA, loadAll, Type, type LoadOptions as JsYamlOptions } from 'js-yaml';

/**
 * YAML 1.2 core schema scalars exactly as the yaml package resolves them (its
 * `schema/core`: null, bool, then int in 0o/decimal/0x forms, then .nan/.inf, exponent and
 * decimal floats), not js-yaml's own core schema, which also reads `1_000` and `+.5e3` forms.
 * One type per tag (js-yaml keeps only the last type listed for a tag); each resolver looks at
 * the first character before its regular expressions, as most scalars are names.
 */
const CORE = FAILSAFE_SCHEMA.extend({
  implicit: [
    new Type('tag:yaml.org,2002:null', {
      kind: 'scalar',
      resolve: (s: string) => s === '' || s === '~' || s === 'null' || s === 'Null' || s === 'NULL',
      construct: () => null,
    }),
    new Type('tag:yaml.org,2002:bool', {
      kind: 'scalar',
      resolve: (s: string) => s === 'true' || s === 'True' || s === 'TRUE' || s === 'false' || s === 'False' || s === 'FALSE',
      construct: (s: string) => s[0] === 't' || s[0] === 'T',
    }),
    new Type('tag:yaml.org,2002:int', {
      kind: 'scalar',
      resolve: (s: string) => numberStart(s) && (/^[-+]?[0-9]+$/.test(s) || /^0o[0-7]+$/.test(s) || /^0x[0-9a-fA-F]+$/.test(s)),
      construct: (s: string) => (/^0o/.test(s) ? parseInt(s.substring(2), 8) : /^0x/.test(s) ? parseInt(s.substring(2), 16) : parseInt(s, 10)),
    }),
    new Type('tag:yaml.org,2002:float', {
      kind: 'scalar',
      resolve: (s: string) =>
        numberStart(s) &&
        (/^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/.test(s) ||
          /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/.test(s) ||
          /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(s)),
      construct: (s: string) =>
        /^[-+]?\.(?:inf|Inf|INF)$/.test(s) ? (s[0] === '-' ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY)
        : /^\.(?:nan|NaN|NAN)$/.test(s) ? NaN
        : parseFloat(s),
    }),
  ],
});

/** Whether a plain scalar may be a number: it starts with a digit, a sign or a dot. */
function numberStart(s: string): boolean {
  const c = s.charCodeAt(0);
  return (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e;
}

/**
 * Text where the two parsers may part ways, so the file goes the guarded way: tags (`!`),
 * anchors and so aliases (`&`: the alias-bomb guard lives there), directives (`%` at a line
 * start), explicit keys (`?`), collections as keys (`]:`), a flow collection closed at the start
 * of a line (the yaml package warns about its indentation), a comment glued to a quoted scalar
 * or a flow collection (the yaml package refuses it), content after `---` or `...` markers on
 * their line, a line break escaped in a double-quoted scalar, whitespace-only lines and block
 * scalar indentation indicators (the parsers fold these edge cases of block scalars
 * differently), a lone CR (a line break for js-yaml only) and a BOM past the start. Found by
 * comparing the two on random edits of real files (test/load/fast.test.ts). Conservative: a
 * match costs only speed, e.g. a `!` inside a quoted string.
 */
const DIVERGENT = /[!&\uFEFF]|\r(?!\n)|^%|\?(?:\s|$)|[\]}][ \t]*:|^[ \t]*[\]}]|["'\]}]#|^(?:---|\.\.\.)[^\S\r\n]*[^\s#]|^\.\.\.|\\\r?\n|^[ \t]+\r?$|[|>][-+]?[0-9]/m;

/** Longest line read the fast way: the yaml package refuses implicit keys over 1,024 characters. */
const MAX_LINE = 1000;

export interface FastOptions {
  /** Deepest nesting of mappings and lists; a deeper document goes the guarded way. */
  readonly maxDepth: number;
  /** Most documents; a file with more goes the guarded way, which refuses it early. */
  readonly maxDocuments: number;
}

/**
 * The documents of `text` as the yaml package's `toJS` would give them (YAML 1.2 core schema,
 * objects with string keys), or undefined when the file must be read the guarded way: when the
 * text has a construct listed in DIVERGENT or a long line, when js-yaml throws or warns (a syntax
 * error, a duplicate key), when a document nests deeper than `maxDepth`, or when a key was null
 * (js-yaml names it "null", the yaml package ""). Never throws. Every error and warning of a file
 * comes from the guarded way, so a file read here has none, and its documents need no depth check.
 */
export function readFast(text: string, options: FastOptions): unknown[] | undefined {
  if (DIVERGENT.test(text) || hasLongLine(text)) return undefined;
  let warned = false;
  const jsYamlOptions: JsYamlOptions & { maxDepth: number } = {
    schema: CORE,
    json: false,
    // js-yaml counts scalars as a level too, and recurses: this bounds its stack.
    maxDepth: options.maxDepth + 1,
    onWarning: () => void (warned = true),
  };
  let documents: unknown[];
  try {
    documents = loadAll(text, null, jsYamlOptions);
  } catch {
    return undefined;
  }
  if (warned || documents.length > options.maxDocuments) return undefined;
  for (const document of documents) if (!plain(document, options.maxDepth)) return undefined;
  return documents;
}

function hasLongLine(text: string): boolean {
  let start = 0;
  for (;;) {
    const end = text.indexOf('\n', start);
    if ((end < 0 ? text.length : end) - start > MAX_LINE) return true;
    if (end < 0) return false;
    start = end + 1;
  }
}

/**
 * Whether a document nests at most `maxDepth` mappings and lists deep (as load.ts counts) and
 * has no key "null": a null key, or a quoted "null", told apart only by the yaml package.
 */
function plain(document: unknown, maxDepth: number): boolean {
  const nodes: unknown[] = [document];
  const depths: number[] = [1];
  while (nodes.length > 0) {
    const node = nodes.pop();
    const depth = depths.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > maxDepth) return false;
    if (Array.isArray(node)) {
      for (const item of node) if (item !== null && typeof item === 'object') nodes.push(item), depths.push(depth + 1);
      continue;
    }
    for (const key in node) {
      if (key === 'null') return false;
      const item = (node as Record<string, unknown>)[key];
      if (item !== null && typeof item === 'object') nodes.push(item), depths.push(depth + 1);
    }
  }
  return true;
}
