// Files to resources: multi-document YAML in either envelope, with a position for every node.
import { LineCounter, parseAllDocuments, type Document } from 'yaml';
import type { Code } from '../core/codes.js';
import { diagnostic, type Diagnostic, type FieldPath } from '../core/diagnostics.js';
import { isKind, type Envelope, type Resource } from '../core/resource.js';
import type { SourceFile } from '../source/types.js';
import { locateInDocument } from './positions.js';
import { firstInvalidUtf8, looksBinary, positionOfByte } from './text.js';

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
  /** Deepest nesting of mappings and lists accepted in one document. */
  readonly maxDepth?: number;
}

/** The label that places a Kubernetes-envelope resource in a mesh (KUMA.md §1). */
export const MESH_LABEL = 'kuma.io/mesh';
/** Kinds whose fields sit at the top level of a universal document instead of under `spec`. */
const BODY_KINDS = new Set(['Mesh', 'Dataplane']);
/** Universal envelope keys that are not part of a Mesh's or Dataplane's body. */
const UNIVERSAL_ENVELOPE_KEYS = new Set(['type', 'name', 'mesh', 'labels', 'annotations']);

/**
 * Parses every file into resources. Pure: never throws on content, whatever the bytes; every
 * problem becomes a diagnostic located in its file. Documents that are empty are skipped.
 */
export function loadFiles(files: readonly SourceFile[], options: LoadOptions = {}): LoadResult {
  const resources: Resource[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const file of files) loadFile(file, options, resources, diagnostics);
  return { resources, diagnostics, files: files.length };
}

function loadFile(file: SourceFile, options: LoadOptions, resources: Resource[], diagnostics: Diagnostic[]): void {
  const at = (code: Code, message: string, line = 1, column = 1) =>
    diagnostics.push(diagnostic(code, { file: file.path, line, column }, message));
  if (looksBinary(file.bytes)) return void at('GM106', `${file.path} is a binary file, not YAML`);
  const bad = firstInvalidUtf8(file.bytes);
  if (bad >= 0) {
    const pos = positionOfByte(file.bytes, bad);
    return void at('GM105', `byte 0x${file.bytes[bad]!.toString(16).padStart(2, '0')} at offset ${bad} is not valid UTF-8`, pos.line, pos.column);
  }
  const text = new TextDecoder('utf-8', { ignoreBOM: false }).decode(file.bytes);
  const lineCounter = new LineCounter();
  const documents = parseAllDocuments(text, { lineCounter, prettyErrors: false });
  // parseAllDocuments returns an EmptyStream (an array) or a list of documents.
  documents.forEach((doc, index) => loadDocument(file.path, doc, index, lineCounter, options, resources, diagnostics));
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
  if (doc.errors.length > 0) {
    for (const error of doc.errors) {
      const [line, column] = error.linePos?.[0] ? [error.linePos[0].line, error.linePos[0].col] : [1, 1];
      const code: Code = /call stack/i.test(error.message) ? 'GM104' : error.code === 'DUPLICATE_KEY' ? 'GM102' : 'GM101';
      const message = code === 'GM104' ? 'the document nests too deeply to read' : firstLine(error.message);
      diagnostics.push(diagnostic(code, { file, line, column }, message));
    }
    return;
  }
  for (const warning of doc.warnings) {
    const pos = warning.linePos?.[0];
    diagnostics.push(diagnostic('GM109', { file, line: pos?.line ?? 1, column: pos?.col ?? 1 }, firstLine(warning.message)));
  }
  const locate = (path: FieldPath, atKey?: boolean) => locateInDocument(doc, lineCounter, path, atKey);
  const docStart = () => locate([]);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: options.maxAliasCount ?? 100 });
  } catch (error) {
    const message = error instanceof ReferenceError ? 'the document expands too many aliases' : `the document cannot be read: ${String(error)}`;
    diagnostics.push(diagnostic(error instanceof ReferenceError ? 'GM103' : 'GM101', { file, ...docStart() }, message));
    return;
  }
  if (value === null || value === undefined) return; // an empty document, e.g. a trailing `---`
  const maxDepth = options.maxDepth ?? 64;
  if (depthExceeds(value, maxDepth)) {
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
