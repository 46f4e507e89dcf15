// The loader's two ways agree: what the fast way (js-yaml) reads, the guarded way (yaml package) reads alike.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { FieldPath } from '../../src/core/diagnostics.js';
import { readFast } from '../../src/load/fast.js';
import { LOAD_DEFAULTS, loadFiles } from '../../src/load/load.js';

const encoder = new TextEncoder();
const LIMITS = { maxDepth: LOAD_DEFAULTS.maxDepth, maxDocuments: LOAD_DEFAULTS.maxDocuments };
const taken = (text: string) => readFast(text, LIMITS) !== undefined;

/** Every field path of a value (at most `limit`), for comparing positions. */
function paths(value: unknown, prefix: FieldPath = [], out: FieldPath[] = [], limit = 200): FieldPath[] {
  out.push(prefix);
  if (out.length >= limit) return out;
  if (Array.isArray(value)) value.forEach((item, i) => paths(item, [...prefix, i], out, limit));
  else if (value !== null && typeof value === 'object') for (const key of Object.keys(value)) paths((value as Record<string, unknown>)[key], [...prefix, key], out, limit);
  return out;
}

/** Everything the loader gives for one file, positions of every node included, as comparable text. */
function outcome(text: string, fast: boolean): string {
  const { resources, diagnostics } = loadFiles([{ path: 'case.yaml', bytes: encoder.encode(text) }], { fast });
  const numbers = (_: string, v: unknown) => (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0)) ? `number ${Object.is(v, -0) ? '-0' : v}` : v);
  return JSON.stringify(
    {
      diagnostics: diagnostics.map((d) => `${d.code} ${d.line}:${d.column} ${d.message}`),
      resources: resources.map((r) => ({
        index: r.origin.index,
        id: `${r.kind}/${r.mesh}/${r.name}`,
        document: r.document,
        spec: r.spec,
        labels: r.labels,
        positions: paths(r.document)
          .flatMap((p) => [r.origin.locate(p), r.origin.locate(p, true)])
          .map((at) => `${at.line}:${at.column}`)
          .join(' '),
      })),
    },
    numbers,
  );
}

function assertSame(text: string, label = JSON.stringify(text).slice(0, 120)): void {
  const fast = outcome(text, true);
  const guarded = outcome(text, false);
  if (fast !== guarded) assert.fixture(fast, guarded, `the two ways differ on ${label}`);
}

const H = 'type: Mesh\nname: m\n';

test('ordinary policy files are read the fast way, and alike', () => {
  const files = yamlFiles('example-repo');
  assert.ok(files.length >= 10);
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    assert.ok(taken(text), `${file} is read the fast way`);
    assertSame(text, file);
  }
});

test('every YAML file of the tests reads alike both ways, whichever way it takes', () => {
  for (const file of yamlFiles('test')) assertSame(readFileSync(file, 'utf8'), file);
});

test('scalars resolve as the yaml package core schema resolves them, not as js-yaml does', () => {
  const text = `${H}a: 1_000\nb: 0o17\nc: 0x1F\nd: +.5e3\ne: .inf\nf: -.Inf\ng: .NaN\nh: 1.\ni: .5\nj: 1e3\nk: 0b101\nl: 012\nm: +12\nn: -0\no: 1.0\np: 0.\nq: +.inf\nr: 1E3\ns: yes\nt: True\nu: FALSE\nv: Null\nw: ~\nx:\ny: on\nz: 2001-12-14\n`;
  assert.ok(taken(text));
  assertSame(text);
  const [value] = readFast(text, LIMITS)! as Record<string, unknown>[];
  assert.equal([value!.a, value!.b, value!.c, value!.k, value!.l, value!.s, value!.z], ['1_000', 15, 31, '0b101', 12, 'yes', '2001-12-14']);
});

test('keys: numbers and booleans become strings alike; a null key, which the parsers name differently, goes the guarded way', () => {
  assertSame(`${H}labels:\n  1: a\n  2.50: b\n  true: c\n  0x10: d\n`);
  for (const key of ['null', '~', '"null"', 'NULL']) {
    const text = `${H}labels:\n  ${key}: x\n`;
    assert.not.ok(taken(text), key);
    assertSame(text);
  }
});

test('constructs where the parsers part ways go the guarded way', () => {
  const divergent = [
    `${H}labels:\n  a: "b"#c\n`, // a comment glued to a quoted scalar: the yaml package refuses it
    `${H}labels: [a]#c\n`,
    '--- a: b\n', // a block collection on the `---` line
    `${H}...\n${H}`,
    `${H}labels:\n  [a]: b\n`, // collections as keys
    `${H}labels: {[a]: b}\n`,
    `${H}labels:\n  ? [a, b]\n  : c\n`,
    `${H}labels: [\n  a\n]\n`, // the yaml package warns about the closing bracket's indentation
    `${H}labels:\n  ${'k'.repeat(1100)}: v\n`, // implicit keys over 1,024 characters
    `${H}a: !!str 1\n`,
    `${H}a: &x 1\nb: *x\n`,
    '%YAML 1.1\n---\ntype: Mesh\nname: m\na: yes\n',
    `${H}a: "x\\\n\n  y"\n`, // an escaped line break before an empty line
    `${H}x: >\n  \n #\ny: 1\n`, // block scalars: whitespace-only lines, indentation indicators
    `${H}x: >1\n  - \n y\n  \n`,
    `${H}x: |2\n  \n     \ny: 1\n`,
    `${H}a: b\rc: d\n`, // a lone CR is a line break for js-yaml only
    `${H}a: "b"\n\uFEFFc: d\n`,
  ];
  for (const text of divergent) {
    assert.not.ok(taken(text), JSON.stringify(text));
    assertSame(text);
  }
});

test('errors, duplicates, deep nesting and too many documents go the guarded way, with the same diagnostics', () => {
  const cases = [
    `${H}labels:\n  team: a: b\n`,
    'type: Mesh\nname: a\nname: b\n',
    `${H}labels:\n  "1": x\n  1: y\n`,
    `${H}x: ${'['.repeat(80)}${']'.repeat(80)}\n`,
    `${H}x: ${'[a: '.repeat(40)}1${']'.repeat(40)}\n`,
    `${H}x: ${'['.repeat(64)}1${']'.repeat(64)}\n`,
    `${H}x: ${'['.repeat(63)}${']'.repeat(63)}\n`,
    'just a sentence\n---\n- a\n',
    'name: a\n---\ntype: MeshNothing\n',
  ];
  for (const text of cases) assertSame(text);
  for (const n of [62, 63, 64, 65]) {
    let nested = 'x:';
    for (let i = 1; i < n; i++) nested += `\n${'  '.repeat(i)}k:`;
    assertSame(`${H}${nested} 1\n`);
    assertSame(`${H}${nested} {}\n`);
  }
  const many = Array.from({ length: 6 }, (_, i) => `type: Mesh\nname: m${i}\n`).join('---\n');
  assert.equal(outcome(many, true), outcome(many, false));
  const over = loadFiles([{ path: 'many.yaml', bytes: encoder.encode(many) }], { maxDocuments: 5 });
  assert.equal(over.diagnostics.map((d) => d.code), ['GM110']);
});

test('document boundaries and indexes agree: empty documents, comments, markers', () => {
  for (const text of ['', '# c\n', '---\n', '---\n---\n', `${H}---\n`, `---\n${H}---\n---\n${H}`, `# c\n---\n${H}--- # c\n${H}`, `\n\n${H}\n\n---\n\n${H}`]) {
    assertSame(text);
  }
});

test('CRLF files are read the fast way, with the same positions', () => {
  const text = `${H}labels:\n  a: b\nspec:\n  - x: 1\n    y: "two"\n`.replace(/\n/g, '\r\n');
  assert.ok(taken(text));
  assertSame(text);
});

test('a position asked of a file read the fast way is the one the guarded way gives, document by document', () => {
  const text = `type: Mesh\nname: a\n---\n# second\ntype: MeshTimeout\nname: t\nspec:\n  targetRef:\n    kind: Mesh\n  to:\n    - targetRef: {kind: Mesh}\n      default: {idleTimeout: 10s}\n`;
  assert.ok(taken(text));
  const { resources } = loadFiles([{ path: 'p.yaml', bytes: encoder.encode(text) }]);
  const timeout = resources[1]!;
  assert.equal(timeout.origin.locate([]), { line: 5, column: 1 });
  assert.equal(timeout.origin.locate(['spec', 'targetRef', 'kind']), { line: 9, column: 11 });
  assert.equal(timeout.origin.locate(['spec', 'targetRef', 'kind'], true), { line: 9, column: 5 });
  assert.equal(timeout.origin.locate(['spec', 'to', 0, 'default', 'idleTimeout']), { line: 12, column: 30 });
  assertSame(text);
});

test('random edits of the test files read alike both ways (seeded, so a failure reproduces)', () => {
  const corpus = yamlFiles('test').concat(yamlFiles('example-repo')).map((f) => readFileSync(f, 'utf8')).filter((t) => t.length < 20_000);
  const random = seeded(20261125);
  const pieces = [...':-?[]{},#&*!|>\'"%@` \t\n\\', '\r\n', '- ', ': ', '---\n', '  ', '"', '|\n', '>-\n', '~', 'null', '1e3', '0x1', '.inf', '{', '[a, b]', 'k: v\n'];
  let fast = 0;
  for (let n = 0; n < 400; n++) {
    let text = corpus[Math.floor(random() * corpus.length)]!;
    for (let edits = 1 + Math.floor(random() * 3); edits > 0; edits--) {
      const at = Math.floor(random() * (text.length + 1));
      const lines = text.split('\n');
      const line = Math.floor(random() * lines.length);
      switch (Math.floor(random() * 6)) {
        case 0: text = text.slice(0, at) + text.slice(at + 1); break;
        case 1: case 2: text = text.slice(0, at) + pieces[Math.floor(random() * pieces.length)] + text.slice(at); break;
        case 3: lines[line] = ` ${lines[line]}`; text = lines.join('\n'); break;
        case 4: lines[line] = lines[line]!.replace(/^ /, ''); text = lines.join('\n'); break;
        default: lines.splice(line, 1); text = lines.join('\n');
      }
    }
    if (taken(text)) fast++;
    assertSame(text);
  }
  assert.ok(fast > 50, `${fast} of 400 edited files went the fast way`);
});

test('random scalars in every style read alike both ways (seeded)', () => {
  const random = seeded(7);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  const pieces = ['a', ' ', '  ', '\t', '\n', '\n  ', '\n    ', '\\', '\\n', '\\t', '\\"', '"', "'", "''", '#', ' #', ':', ': ', '- ', '?', ',', '[', ']', '{', '}', '1', '.', 'e', '~', '\r\n', '|', '>', '+', '\\x41', 'ü', 'null', '---', '...', '%', '@', '*'];
  for (let n = 0; n < 400; n++) {
    let content = '';
    for (let k = 1 + Math.floor(random() * 8); k > 0; k--) content += pick(pieces);
    const indent = pick(['', ' ', '  ', '    ']);
    const scalar = [
      content.replace(/\n/g, '\n  '),
      `"${content.replace(/\n/g, `\n${indent}`)}"`,
      `'${content.replace(/\n/g, `\n${indent}`)}'`,
      `${pick(['|', '>', '|-', '>+', '| # c'])}\n  ${content.replace(/\n/g, `\n${indent}`)}`,
      `[${content.replace(/\n/g, '\n  ')}, b]`,
    ][Math.floor(random() * 5)];
    assertSame(`${H}x: ${scalar}\ny: 1\n`);
  }
});

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return yamlFiles(path);
      return /\.ya?ml$/i.test(name) && statSync(path).size < 1_000_000 ? [path] : [];
    });
}

/** A small deterministic generator (an LCG), so a failing case is the same on every run. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
}

test.run();
