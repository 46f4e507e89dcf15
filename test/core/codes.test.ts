// The diagnostic code catalogue: one shape for every entry, ordered, and the codes a repository may never suppress.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CODES, isCode, UNSUPPRESSIBLE, type Code } from '../../src/core/codes.js';
import { parseSuppressRule, suppressedByRule } from '../../src/validate/suppress.js';

const codes = Object.keys(CODES) as Code[];

test('every code is GMnxx in its range, listed in order, with a unique kebab-case name, a description and a hint', () => {
  assert.equal(codes, [...codes].sort(), 'ordered by code');
  const names = new Set<string>();
  for (const code of codes) {
    const info = CODES[code];
    assert.match(code, /^GM[1-5]\d\d$/);
    assert.match(info.name, /^[a-z0-9]+(-[a-z0-9]+)*$/, `${code} name`);
    assert.not.ok(names.has(info.name), `${code}: the name ${info.name} is used twice`);
    names.add(info.name);
    assert.ok(info.severity === 'error' || info.severity === 'warning', `${code} severity`);
    assert.match(info.description, /^[A-Z`].*\.$/, `${code}: a description is one sentence`);
    assert.ok(info.hint.length > 10, `${code} hint`);
  }
});

test('a retired code stays as a comment and is never reused', () => {
  // Retired codes are comments `// GMnnn retired: ...` in the catalogue; none may be defined again.
  const text = readFileSync('src/core/codes.ts', 'utf8');
  for (const [, code] of text.matchAll(/\/\/\s*(GM\d{3})\s+retired/g)) assert.not.ok(isCode(code!), `${code} is retired but defined`);
});

test('refused commits: GM505 unsigned-commit, GM506 untrusted-signature, GM507 bad-signature are errors', () => {
  assert.equal(
    (['GM505', 'GM506', 'GM507'] as const).map((code) => [code, CODES[code].name, CODES[code].severity]),
    [
      ['GM505', 'unsigned-commit', 'error'],
      ['GM506', 'untrusted-signature', 'error'],
      ['GM507', 'bad-signature', 'error'],
    ],
  );
});

test('unsuppressible codes are in the catalogue, errors, and no --suppress rule hides them; the signature codes are among them', () => {
  for (const code of UNSUPPRESSIBLE) {
    assert.ok(isCode(code), code);
    assert.is(CODES[code].severity, 'error', code);
    assert.not.ok(suppressedByRule([parseSuppressRule('GM*')], code), `${code} suppressed by GM*`);
  }
  for (const code of ['GM505', 'GM506', 'GM507'] as const) assert.ok(UNSUPPRESSIBLE.has(code), `${code}: a repository must not switch the signature check off`);
});

test.run();
