// Table-driven validation cases from files: a new case is a new YAML file, no code.
//
// <dir>/valid-*.yaml (e.g. test/policies/<slug>/cases/) must validate with no diagnostic at all.
// <dir>/invalid-*.yaml list what they must produce in leading comments,
// one per line, and produce exactly that:
//   # expect: GM202 12:9 unknown field `conectionTimeout`
// i.e. code, line:column in the case file, then a substring of the message (optional).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { validateFiles } from '../../src/policies/validate-files.js';

const BASE = 'test/fixtures/base-mesh.yaml';
const encoder = new TextEncoder();

export interface Expectation {
  readonly code: string;
  readonly line: number;
  readonly column: number;
  readonly text: string;
}

/** Parses the `# expect:` lines at the top of a case file. */
export function expectations(text: string): Expectation[] {
  const out: Expectation[] = [];
  for (const line of text.split('\n')) {
    const match = /^#\s*expect:\s*(GM\d{3})\s+(\d+):(\d+)\s*(.*)$/.exec(line);
    if (match) out.push({ code: match[1]!, line: Number(match[2]), column: Number(match[3]), text: match[4]!.trim() });
  }
  return out;
}

/** Validates one case file together with the base mesh; diagnostics of the case file only. */
export function validateCase(path: string, text = readFileSync(path, 'utf8')) {
  const files = [
    { path: 'base-mesh.yaml', bytes: readFileSync(BASE) },
    { path: 'case.yaml', bytes: encoder.encode(text) },
  ];
  return validateFiles({ files });
}

/** Registers one uvu test per case file of a policy kind (test/policies/<slug>/cases). */
export function registerPolicyCases(slug: string, suite = test): void {
  registerCases(join('test/policies', slug, 'cases'), slug, suite);
}

/** Registers one uvu test per case file in `dir`, named `<label>: <case>`. */
export function registerCases(dir: string, label: string, suite = test): void {
  const slug = label;
  const files = readdirSync(dir).filter((f) => /^(valid|invalid)-.*\.ya?ml$/.test(f)).sort();
  assert.ok(files.some((f) => f.startsWith('valid-')), `${dir} needs a valid-*.yaml case`);
  for (const file of files) {
    const path = join(dir, file);
    suite(`${slug}: ${file.replace(/\.ya?ml$/, '')}`, () => {
      const text = readFileSync(path, 'utf8');
      const { diagnostics } = validateCase(path, text);
      const shown = diagnostics.map((d) => `${d.file}:${d.line}:${d.column} ${d.code} ${d.message}`).join('\n');
      const expected = expectations(text);
      if (file.startsWith('valid-')) {
        assert.equal(shown, '', `${file} must validate clean`);
        return;
      }
      assert.ok(expected.length > 0, `${file} has no '# expect:' lines`);
      for (const d of diagnostics) assert.is(d.file, 'case.yaml', `the base mesh must stay clean:\n${shown}`);
      const got = diagnostics.map((d) => `${d.code} ${d.line}:${d.column}`);
      assert.equal(got, expected.map((e) => `${e.code} ${e.line}:${e.column}`), `diagnostics of ${file}:\n${shown}`);
      expected.forEach((e, i) => assert.ok(diagnostics[i]!.message.includes(e.text), `message ${i + 1} of ${file} should contain ${JSON.stringify(e.text)}:\n${shown}`));
    });
  }
}
