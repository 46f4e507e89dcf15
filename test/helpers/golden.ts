// Golden files: compare a value with its YAML golden; UPDATE_GOLDEN=1 rewrites them.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as assert from 'uvu/assert';
import { parse, stringify } from 'yaml';

const UPDATE = process.env.UPDATE_GOLDEN === '1';

/** Sorts object keys recursively, so goldens diff well and never depend on build order. */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]));
}

/** YAML with sorted keys, ending with a newline. */
export function toGoldenYaml(value: unknown): string {
  return stringify(sortKeys(value), { lineWidth: 0, aliasDuplicateObjects: false });
}

/**
 * Asserts that `value` equals the golden at `path` (compared as parsed YAML). An empty value
 * (undefined, or an empty list) means the golden must not exist. With UPDATE_GOLDEN=1 the
 * golden is (re)written or removed instead, and the assertion passes.
 */
export function assertGolden(path: string, value: unknown): void {
  const empty = value === undefined || (Array.isArray(value) && value.length === 0);
  if (UPDATE) {
    if (empty) rmSync(path, { force: true });
    else writeFileSync(path, toGoldenYaml(value));
    return;
  }
  if (empty) {
    assert.not.ok(existsSync(path), `${path} should not exist (the output is empty); run with UPDATE_GOLDEN=1`);
    return;
  }
  assert.ok(existsSync(path), `${path} is missing; run with UPDATE_GOLDEN=1 to write it`);
  const expected = parse(readFileSync(path, 'utf8'));
  assert.equal(JSON.parse(JSON.stringify(sortKeys(value))), expected, `${path} differs (UPDATE_GOLDEN=1 rewrites it; review the diff)`);
}

/**
 * Asserts that rendered output (text, Markdown, JSON as printed) equals the golden file at
 * `path` byte for byte, with a line diff on failure. UPDATE_GOLDEN=1 (re)writes the file instead.
 */
export function assertGoldenText(path: string, text: string): void {
  if (UPDATE) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    return;
  }
  assert.ok(existsSync(path), `${path} is missing; run with UPDATE_GOLDEN=1 to write it`);
  assert.fixture(text, readFileSync(path, 'utf8'), `${path} differs (UPDATE_GOLDEN=1 rewrites it; review the diff)`);
}
