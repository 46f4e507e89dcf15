// Files to resources: multi-document YAML in either envelope, with a position for every node.
import { isUtf8 } from 'node:buffer';
import type { Document, LineCounter, Node } from 'yaml';
import type { Code } from '../core/codes.js';
import { diagnostic, type Diagnostic, type FieldPath } from '../core/diagnostics.js';
import { isKind, type Envelope, type Origin, type Resource } from '../core/resource.js';
import type { SourceFile } from '../source/types.js';
import { readFast } from './fast.js';
import { locateInDocument } from './positions.js';
import { firstInvalidUtf8, looksBinary, NestingGuard, positionOfByte } from './text.js';
import { yamlPackage } from './yaml-package.js';

/** What the loader read: resources in file order, and what it could not read. */
export interface LoadResult {
  readonly resources: Resource[];
  readonly diagnostics: Diagnostic[];
  /** Files read (including those that produced only diagnostics). */
  readonly files: number;
}

export interface LoadOptions {
  /** Most aliases one document may expand (the yaml package's alias-bomb guard). */
  readonly maxAliasCount?: number;
  /** Deepest nesting of mappings and lists accepted in one document (default 64). */
  readonly maxDepth?: number;
  /** Most YAML documents read from one file (default 10,000); a file with more is not read. */
  readonly maxDocuments?: number;
  /**
   * Whether files may be read the fast way (default true). Either way gives the same result;
   * false reads every file the guarded way (for tests that compare the two, and benchmarks).
   */
  readonly fast?: boolean;
}

/** Defaults of LoadOptions. */
export const LOAD_DEFAULTS = { maxAliasCount: 100, maxDepth: 64, maxDocuments: 10_000 } as const;

/** The label that places a Kubernetes-envelope resource in a mesh (KUMA.md §1). */
export const MESH_LABEL = 'kuma.io/mesh';
/** Kinds whose fields sit at the top level of a universal document instead of under `spec`. */
const BODY_KINDS = new Set(['Mesh', 'Dataplane']);
/** Universal envelope keys that are not part of a Mesh's or Dataplane's body. */
const UNIVERSAL_ENVELOPE_KEYS = new Set(['type', 'name', 'mesh', 'labels', 'annotations']);

/**
 * Parses every file into resources. Pure: never throws on content, whatever the bytes; every
 * problem becomes a diagnostic located in its file. Documents that are empty are skipped.
 *
 * Two ways through a file, one outcome. The fast way (fast.ts) reads values with js-yaml and is
 * taken only for text it reads exactly as the yaml package does, with no error or warning;
 * positions are then found on demand, by parsing that one file with the yaml package the first
 * time a diagnostic needs a line. Everything else goes the guarded way: the yaml package with
 * its positions, limits and diagnostics, as the single source of every GM1xx.
 */
export function loadFiles(files: readonly SourceFile[], options: LoadOptions = {}): LoadResult {
  const resources: Resource[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const file of files) loadFile(file, options, resources, diagnostics);
  return { resources, diagnostics, files: files.length };
}

const decoder = new TextDecoder('utf-8', { ignoreBOM: false });

function limitsOf(options: LoadOptions): { maxDepth: number; maxDocuments: number } {
  return { maxDepth: options.maxDepth ?? LOAD_DEFAULTS.maxDepth, maxDocuments: options.maxDocuments ?? LOAD_DEFAULTS.maxDocuments };
}

function loadFile(file: SourceFile, options: LoadOptions, resources: Resource[], diagnostics: Diagnostic[]): void {
  const at = (code: Code, message: string, line = 1, column = 1, hint?: string) =>
    diagnostics.push(diagnostic(code, { file: file.path, line, column }, message, hint === undefined ? {} : { hint }));
  if (looksBinary(file.bytes)) return void at('GM106', `${file.path} is a binary file, not YAML`);
  if (!isUtf8(file.bytes)) {
    const bad = firstInvalidUtf8(file.bytes);
    const pos = positionOfByte(file.bytes, bad);
    return void at('GM105', `byte 0x${file.bytes[bad]!.toString(16).padStart(2, '0')} at offset ${bad} is not valid UTF-8`, pos.line, pos.column);
  }
  const text = decoder.decode(file.bytes);
  const { maxDepth, maxDocuments } = limitsOf(options);
  const values = options.fast === false ? undefined : readFast(text, { maxDepth, maxDocuments });
  if (values) return loadRead(file.path, text, values, options, resources, diagnostics);
  const parsed = parseDocuments(text, maxDepth, maxDocuments);
  if ('error' in parsed) {
    const { error } = parsed;
    if (error.kind === 'threw') {
      // A bug or a limit of the yaml package; the file still ends as a diagnostic, never a crash.
      const deep = error.cause instanceof RangeError;
      return void at(deep ? 'GM104' : 'GM101', deep ? 'the file nests too deeply to read' : `the file cannot be read: ${firstLine(String(error.cause))}`);
    }
    if (error.kind === 'nesting') {
      return void at('GM104', `${file.path} nests (or indents) deeper than ${error.limit} levels at line ${error.line}; it is not read`, error.line, error.column);
    }
    return void at('GM110', `${file.path} holds more than ${maxDocuments} YAML documents, over the limit per file; it is not read`, 1, 1, `Split the file: gitmesh reads at most ${maxDocuments} documents per file.`);
  }
  parsed.documents.forEach((doc, index) => loadDocument(file.path, doc, index, parsed.lineCounter, options, resources, diagnostics));
}

/**
 * The documents of a file read the fast way. Positions come from the whole file parsed the
 * guarded way, once, when a diagnostic first needs one. The fast way takes only text both
 * parsers read alike (test/load/fast.test.ts compares them), so the document is there; were it
 * not, the position falls back to the file's start.
 */
function loadRead(file: string, text: string, values: readonly unknown[], options: LoadOptions, resources: Resource[], diagnostics: Diagnostic[]): void {
  const { maxDepth, maxDocuments } = limitsOf(options);
  let parsed: ReturnType<typeof parseDocuments> | undefined;
  const locatorOf = (index: number) => (path: FieldPath, atKey?: boolean) => {
    parsed ??= parseDocuments(text, maxDepth, maxDocuments);
    const doc = 'documents' in parsed ? parsed.documents[index] : undefined;
    return doc && 'documents' in parsed ? locateInDocument(doc, parsed.lineCounter, path, atKey) : { line: 1, column: 1 };
  };
  values.forEach((value, index) => loadValue(file, value, index, locatorOf(index), options, resources, diagnostics, false));
}

type ParseError =
  | { readonly kind: 'threw'; readonly cause: unknown }
  | { readonly kind: 'nesting'; readonly limit: number; readonly line: number; readonly column: number }
  | { readonly kind: 'documents' };

/**
 * The guarded parse: the yaml package's documents of `text`, with positions, or the reason the
 * file is not read. Parses as a stream, so a hostile file is refused before the yaml package
 * spends memory on it: nesting is bounded while lexing (the composer recurses per level and its
 * memory grows with depth), and reading stops at the document limit.
 */
function parseDocuments(
  text: string,
  maxDepth: number,
  maxDocuments: number,
): { documents: Document.Parsed[]; lineCounter: LineCounter } | { error: ParseError } {
  const { Composer, Lexer, LineCounter, Parser } = yamlPackage();
  const lineCounter = new LineCounter();
  const guard = new NestingGuard(Math.max(512, maxDepth * 8));
  const documents: Document.Parsed[] = [];
  let tooMany = false;
  try {
    const parser = new Parser(lineCounter.addNewLine);
    const tokens = function* () {
      lineCounter.addNewLine(0);
      for (const lexeme of new Lexer().lex(text)) {
        if (!guard.accept(lexeme)) return;
        yield* parser.next(lexeme);
      }
      yield* parser.end();
    };
    // uniqueKeys: false because the yaml package checks keys pairwise (quadratic in a mapping's
    // size); duplicateKeys() below does it in linear time. logLevel: 'error' keeps its notice
    // about collection keys off stderr (process.emitWarning); diagnostics come from doc.warnings.
    for (const doc of new Composer({ uniqueKeys: false, logLevel: 'error' }).compose(tokens())) {
      if (documents.length >= maxDocuments) {
        tooMany = true;
        break;
      }
      documents.push(doc);
    }
  } catch (cause) {
    return { error: { kind: 'threw', cause } };
  }
  if (guard.exceeded) {
    const pos = lineCounter.linePos(guard.offset);
    return { error: { kind: 'nesting', limit: guard.limit, line: pos.line, column: pos.col } };
  }
  if (tooMany) return { error: { kind: 'documents' } };
  return { documents, lineCounter };
}

function loadDocument(
  file: string,
  doc: Document.Parsed,
  index: number,
  lineCounter: LineCounter,
  options: LoadOptions,
  resources: Resource[],
  diagnostics: Diagnostic[],
): void {
  // Errors carry source offsets (linePos is filled only by the yaml package's prettyErrors).
  const posOf = (offset: number | undefined) => {
    const pos = lineCounter.linePos(offset ?? doc.range?.[0] ?? 0);
    return { line: pos.line, column: pos.col };
  };
  if (doc.errors.length > 0) {
    let tooDeep = false;
    for (const error of doc.errors) {
      const code: Code = /call stack/i.test(error.message) ? 'GM104' : error.code === 'DUPLICATE_KEY' ? 'GM102' : 'GM101';
      if (code === 'GM104' && tooDeep) continue; // one per document is enough
      tooDeep ||= code === 'GM104';
      const message = code === 'GM104' ? 'the document nests too deeply to read' : firstLine(error.message);
      diagnostics.push(diagnostic(code, { file, ...posOf(error.pos?.[0]) }, message));
    }
    return;
  }
  for (const warning of doc.warnings) {
    diagnostics.push(diagnostic('GM109', { file, ...posOf(warning.pos?.[0]) }, firstLine(warning.message)));
  }
  const duplicates = duplicateKeys(doc);
  if (duplicates.length > 0) {
    for (const { key, first, second } of duplicates) {
      diagnostics.push(diagnostic('GM102', { file, ...posOf(second) }, `key ${JSON.stringify(key)} appears twice in one mapping (first at line ${posOf(first).line})`));
    }
    return;
  }
  const locate = (path: FieldPath, atKey?: boolean) => locateInDocument(doc, lineCounter, path, atKey);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: options.maxAliasCount ?? LOAD_DEFAULTS.maxAliasCount });
  } catch (error) {
    const [code, message]: [Code, string] =
      error instanceof ReferenceError ? ['GM103', 'the document expands too many aliases']
      : error instanceof RangeError ? ['GM104', 'the document nests too deeply to read']
      : ['GM101', `the document cannot be read: ${firstLine(String(error))}`];
    diagnostics.push(diagnostic(code, { file, ...locate([]) }, message));
    return;
  }
  loadValue(file, value, index, locate, options, resources, diagnostics);
}

/** The checks and normalisation of one document's value, whichever way it was read (the fast way checked depth). */
function loadValue(
  file: string,
  value: unknown,
  index: number,
  locate: Origin['locate'],
  options: LoadOptions,
  resources: Resource[],
  diagnostics: Diagnostic[],
  checkDepth = true,
): void {
  if (value === null || value === undefined) return; // an empty document, e.g. a trailing `---`
  const docStart = () => locate([]);
  const maxDepth = options.maxDepth ?? LOAD_DEFAULTS.maxDepth;
  if (checkDepth && depthExceeds(value, maxDepth)) {
    diagnostics.push(diagnostic('GM104', { file, ...docStart() }, `the document nests deeper than ${maxDepth} levels`));
    return;
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    const what = Array.isArray(value) ? 'a list' : `a ${typeof value}`;
    diagnostics.push(diagnostic('GM108', { file, ...docStart() }, `document ${index + 1} is ${what}, not a resource mapping`));
    return;
  }
  const resource = normalise(value as Record<string, unknown>, { file, index, locate });
  if ('error' in resource) {
    diagnostics.push(diagnostic('GM200', { file, ...locate(resource.path) }, resource.error));
    return;
  }
  resources.push(resource);
}

/** Maps either envelope onto the one Resource shape; an unknown kind is the only failure. */
function normalise(document: Record<string, unknown>, origin: Resource['origin']): Resource | { error: string; path: FieldPath } {
  const envelope: Envelope = 'apiVersion' in document ? 'kubernetes' : 'universal';
  const kindPath = envelope === 'kubernetes' ? ['kind'] : ['type'];
  const kind = document[kindPath[0]!];
  if (!isKind(kind)) {
    const field = kindPath[0];
    const error =
      kind === undefined
        ? `the document has no \`${field}\`, so it is not a resource (universal documents need \`type\`, Kubernetes ones \`apiVersion\` and \`kind\`)`
        : `unknown kind ${JSON.stringify(kind)}`;
    return { error, path: kind === undefined ? [] : kindPath };
  }
  if (envelope === 'kubernetes') {
    const metadata = asRecord(document.metadata);
    const labels = stringMap(metadata.labels);
    const baseName = asString(metadata.name);
    const namespace = asString(metadata.namespace);
    // Kuma names a namespaced Kubernetes resource `name.namespace` in its core model.
    const name = namespace && kind !== 'Mesh' ? `${baseName}.${namespace}` : baseName;
    return {
      kind,
      name,
      mesh: kind === 'Mesh' ? name : (labels[MESH_LABEL] ?? 'default'),
      labels,
      annotations: stringMap(metadata.annotations),
      spec: document.spec,
      envelope,
      specPath: ['spec'],
      document,
      origin,
    };
  }
  const name = asString(document.name);
  const bodyKind = BODY_KINDS.has(kind);
  return {
    kind,
    name,
    mesh: kind === 'Mesh' ? name : (asString(document.mesh) || 'default'),
    labels: stringMap(document.labels),
    annotations: stringMap(document.annotations),
    spec: bodyKind ? Object.fromEntries(Object.entries(document).filter(([key]) => !UNIVERSAL_ENVELOPE_KEYS.has(key))) : document.spec,
    envelope,
    specPath: bodyKind ? [] : ['spec'],
    document,
    origin,
  };
}

/** Iterative depth check, so a hostile document cannot overflow the stack of later stages. */
function depthExceeds(value: unknown, maxDepth: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > maxDepth) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) stack.push([child, depth + 1]);
  }
  return false;
}

/**
 * Keys that occur twice in one mapping, with the offsets of both: YAML forbids them and which
 * one a tool keeps differs. Iterative, and linear in the size of the document.
 */
function duplicateKeys(doc: Document.Parsed): { key: string; first: number; second: number }[] {
  const { isMap, isPair, isScalar, isSeq } = yamlPackage();
  const found: { key: string; first: number; second: number }[] = [];
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isSeq(node)) {
      for (const item of node.items) stack.push(item);
    } else if (isMap(node)) {
      const seen = new Map<string, number>();
      for (const pair of node.items) {
        if (!isPair(pair)) continue;
        stack.push(pair.value);
        const key = pair.key as Node | null;
        if (isMap(key) || isSeq(key)) stack.push(key);
        if (!isScalar(key)) continue;
        // Same rule as the yaml package: scalars with strictly equal values are the same key.
        const id = `${typeof key.value}:${String(key.value)}`;
        const offset = key.range?.[0] ?? 0;
        const first = seen.get(id);
        if (first === undefined) seen.set(id, offset);
        else found.push({ key: String(key.value), first, second: offset });
      }
    }
  }
  return found.sort((a, b) => a.second - b.second);
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function asString(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function stringMap(value: unknown): Record<string, string> {
  return Object.fromEntries(Object.entries(asRecord(value)).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.trim();
}
