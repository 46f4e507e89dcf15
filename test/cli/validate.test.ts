// `gitmesh validate`: exit codes, the four output formats, failure threshold, suppression, env twins.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import Ajv04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CODES } from '../../src/core/codes.js';
import type { Diagnostic } from '../../src/core/diagnostics.js';
import { gitmesh, tempRepo } from '../helpers/cli.js';
import { builtCli } from './binary.js';

const BASE = readFileSync('test/fixtures/base-mesh.yaml', 'utf8');
const VERSION = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
const created: string[] = [];

/** Two MeshTimeouts naming services no Dataplane serves: two GM304 warnings, no error. */
const WARNINGS = `type: MeshTimeout
name: legacy-a
mesh: default
spec:
  targetRef:
    kind: Mesh
  to:
    - targetRef:
        kind: MeshService
        name: old-service
      default:
        connectionTimeout: 2s
---
type: MeshTimeout
name: modern
mesh: default
spec:
  targetRef:
    kind: Mesh
  to:
    - targetRef:
        kind: MeshService
        name: ghost
      default:
        idleTimeout: 1m
`;

/** An unknown field named `50%`: a GM202 error whose message holds a `%`, a `:` and commas. */
const ERROR = `type: MeshTimeout
name: typo
spec:
  targetRef:
    kind: Mesh
  to:
    - targetRef:
        kind: MeshService
        name: backend
      default:
        50%: 5s
`;
/** A file name with every character a workflow-command property must escape. */
const ODD_FILE = 'policies/odd,name:100%.yaml';

async function repo(files: Record<string, string>): Promise<string> {
  const dir = await tempRepo({ 'base-mesh.yaml': BASE, ...files });
  created.push(dir);
  return dir;
}

interface JsonOutput {
  diagnostics: Diagnostic[];
  summary: { files: number; resources: number; errors: number; warnings: number; suppressed: number };
}

async function json(dir: string, ...flags: string[]): Promise<JsonOutput & { code: number }> {
  const run = await gitmesh(['validate', dir, '--format', 'json', ...flags]);
  assert.is(run.stderr, '');
  return { code: run.code, ...(JSON.parse(run.stdout) as JsonOutput) };
}

const codes = (out: JsonOutput) => out.diagnostics.map((d) => `${d.code} ${d.name ?? ''}`.trim());

// ── exit codes ──────────────────────────────────────────────────────────────────────────────

test('a valid repository exits 0 with a summary line', async () => {
  const dir = await repo({});
  const run = await gitmesh(['validate', dir]);
  assert.is(run.code, 0);
  assert.is(run.stderr, '');
  assert.is(run.stdout, '1 file, 5 resources: 0 errors, 0 warnings\n');
});

test('a repository with an error exits 1 and prints file:line:col, severity, code, resource and message', async () => {
  const parent = dirname(await repo({}));
  const dir = await repo({ [ODD_FILE]: ERROR });
  const run = await gitmesh(['validate', basename(dir)], parent);
  assert.is(run.code, 1);
  assert.is(run.stderr, '');
  const lines = run.stdout.split('\n');
  assert.is(lines[0], `${basename(dir)}/${ODD_FILE}:11:9: error GM202 MeshTimeout/typo: unknown field \`50%\` in \`spec.to[0].default\`; allowed: connectionTimeout, idleTimeout, http`);
  assert.is(lines[1], `  hint: ${CODES.GM202.hint}`);
  assert.is(lines[2], '2 files, 6 resources: 1 error, 0 warnings');
});

test('a missing folder exits 2 with the path on stderr', async () => {
  const dir = await repo({});
  const run = await gitmesh(['validate', join(dir, 'nope')]);
  assert.is(run.code, 2);
  assert.is(run.stdout, '');
  assert.match(run.stderr, /nope: no such folder/);
  assert.not.match(run.stderr, /^\s+at /m);
  // A file where a folder is expected is the same usage error.
  const file = await gitmesh(['validate', join(dir, 'base-mesh.yaml')]);
  assert.is(file.code, 2);
});

test('an unknown --format exits 2 and lists the formats', async () => {
  const run = await gitmesh(['validate', await repo({}), '--format', 'yaml']);
  assert.is(run.code, 2);
  assert.is(run.stdout, '');
  assert.match(run.stderr, /text, json, github, sarif/);
});

test('a malformed --suppress exits 2 and says how to write it', async () => {
  const dir = await repo({});
  for (const rule of ['GM304=MeshTimeout/a/b', 'GM-304', '=MeshTimeout/x']) {
    const run = await gitmesh(['validate', dir, '--suppress', rule]);
    assert.is(run.code, 2, rule);
    assert.is(run.stdout, '');
    assert.match(run.stderr, /--suppress .*CODE=KIND\/NAME/, rule);
  }
});

test('an unknown --failure-threshold and a malformed --max-file-size exit 2', async () => {
  const dir = await repo({});
  assert.is((await gitmesh(['validate', dir, '--failure-threshold', 'info'])).code, 2);
  const size = await gitmesh(['validate', dir, '--max-file-size', 'big']);
  assert.is(size.code, 2);
  assert.match(size.stderr, /not a size/);
});

// ── json ────────────────────────────────────────────────────────────────────────────────────

test('--format json is {diagnostics, summary} with files relative to PATH', async () => {
  const dir = await repo({ 'policies/timeouts.yaml': WARNINGS, [ODD_FILE]: ERROR });
  const run = await gitmesh(['validate', basename(dir), '--format', 'json'], dirname(dir));
  assert.is(run.code, 1);
  const out = JSON.parse(run.stdout) as JsonOutput;
  assert.equal(Object.keys(out), ['diagnostics', 'summary']);
  assert.equal(out.summary, { files: 3, resources: 8, errors: 1, warnings: 2, suppressed: 0 });
  assert.equal(out.diagnostics.map((d) => `${d.file}:${d.line}:${d.column} ${d.severity} ${d.code}`), [
    `${ODD_FILE}:11:9 error GM202`,
    'policies/timeouts.yaml:10:15 warning GM304',
    'policies/timeouts.yaml:23:15 warning GM304',
  ]);
  const [first] = out.diagnostics;
  assert.equal(first, {
    code: 'GM202',
    severity: 'error',
    message: 'unknown field `50%` in `spec.to[0].default`; allowed: connectionTimeout, idleTimeout, http',
    file: ODD_FILE,
    line: 11,
    column: 9,
    path: ['spec', 'to', 0, 'default', '50%'],
    kind: 'MeshTimeout',
    name: 'typo',
    hint: CODES.GM202.hint,
  });
  // The same files whether PATH is relative or absolute.
  const absolute = await json(dir);
  assert.equal(absolute.diagnostics.map((d) => d.file), out.diagnostics.map((d) => d.file));
});

test('--format json of a valid repository has no diagnostics and exits 0', async () => {
  const out = await json(await repo({}));
  assert.is(out.code, 0);
  assert.equal(out, { code: 0, diagnostics: [], summary: { files: 1, resources: 5, errors: 0, warnings: 0, suppressed: 0 } });
});

// ── github ──────────────────────────────────────────────────────────────────────────────────

/** The reverse of the workflow-command escaping, to read back what GitHub will show. */
const unescape = (text: string) => text.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%3A/g, ':').replace(/%2C/g, ',').replace(/%25/g, '%');

test('--format github prints one ::error/::warning line per diagnostic, paths prefixed with PATH', async () => {
  const dir = await repo({ 'policies/timeouts.yaml': WARNINGS, [ODD_FILE]: ERROR });
  for (const path of [basename(dir), `${basename(dir)}/`]) {
    const run = await gitmesh(['validate', path, '--format', 'github'], dirname(dir));
    assert.is(run.code, 1);
    const lines = run.stdout.split('\n');
    assert.is(lines.pop(), '', 'ends with a newline');
    assert.is(lines.length, 3);
    for (const line of lines) {
      assert.match(line, /^::(error|warning) file=[^,:]+,line=[1-9]\d*,col=[1-9]\d*,title=GM\d{3} [a-z-]+::[^\r\n]+$/);
    }
    assert.is(lines[1], `::warning file=${basename(dir)}/policies/timeouts.yaml,line=10,col=15,title=GM304 unknown-service::a \`to[]\` targetRef names service "old-service", which no Dataplane in mesh "default" serves%0A${CODES.GM304.hint}`);
  }
});

test('--format github escapes %, CR and LF in messages, and also : and , in properties', async () => {
  const dir = await repo({ [ODD_FILE]: ERROR });
  const run = await gitmesh(['validate', basename(dir), '--format', 'github'], dirname(dir));
  const [line] = run.stdout.split('\n');
  const match = /^::error file=([^,]+),line=11,col=9,title=([^,:]+)::(.*)$/.exec(line!);
  assert.ok(match, line);
  const [, file, title, message] = match;
  assert.is(file, `${basename(dir)}/policies/odd%2Cname%3A100%25.yaml`);
  assert.is(unescape(file!), `${basename(dir)}/${ODD_FILE}`);
  assert.is(title, 'GM202 unknown-field');
  // In the message only %, CR and LF are escaped: colons and commas stay as written.
  assert.ok(message!.startsWith('unknown field `50%25` in `spec.to[0].default`; allowed: connectionTimeout, idleTimeout, http%0A'), message);
  assert.not.match(message!, /%(?!25|0A|0D)/, 'every % in the data is an escape');
  assert.is(unescape(message!), `unknown field \`50%\` in \`spec.to[0].default\`; allowed: connectionTimeout, idleTimeout, http\n${CODES.GM202.hint}`);
});

test('--format github prints nothing for a valid repository', async () => {
  const run = await gitmesh(['validate', await repo({}), '--format', 'github']);
  assert.is(run.code, 0);
  assert.is(run.stdout, '');
});

// ── sarif ───────────────────────────────────────────────────────────────────────────────────

interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: string;
  message: { text: string };
  locations: { physicalLocation: { artifactLocation: { uri: string; uriBaseId?: string }; region: { startLine: number; startColumn: number } } }[];
}
interface SarifLog {
  $schema: string;
  version: string;
  runs: { tool: { driver: { name: string; version: string; informationUri: string; rules: { id: string; name: string; shortDescription: { text: string }; defaultConfiguration: { level: string } }[] } }; results: SarifResult[] }[];
}

/** The SARIF 2.1.0 schema (OASIS, draft-04), as @microsoft/jest-sarif ships it, with its formats. */
function sarifValidator() {
  const schema = JSON.parse(readFileSync('node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json', 'utf8')) as { title: string };
  assert.match(schema.title, /SARIF\) Version 2\.1\.0/);
  // CommonJS packages: under NodeNext their class is `.default` of the module object. The
  // schema's `language` pattern is not valid with the `u` flag, so regexps run without it.
  const ajv = new Ajv04.default({ allErrors: true, strict: false, unicodeRegExp: false });
  addFormats.default(ajv);
  return ajv.compile(schema);
}

test('--format sarif is a valid SARIF 2.1.0 log that matches the diagnostics', async () => {
  const dir = await repo({ 'policies/timeouts.yaml': WARNINGS, [ODD_FILE]: ERROR, 'policies/dup.yaml': 'type: Mesh\nname: default\n' });
  const root = basename(dir);
  const run = await gitmesh(['validate', root, '--format', 'sarif'], dirname(dir));
  assert.is(run.code, 1);
  assert.is(run.stderr, '');
  const log = JSON.parse(run.stdout) as SarifLog;
  const validateSarif = sarifValidator();
  assert.ok(validateSarif(log), JSON.stringify(validateSarif.errors, null, 2));

  assert.is(log.version, '2.1.0');
  assert.match(log.$schema, /sarif-2\.1\.0/);
  assert.is(log.runs.length, 1);
  const [sarifRun] = log.runs;
  const driver = sarifRun!.tool.driver;
  assert.is(driver.name, 'gitmesh');
  assert.is(driver.version, VERSION);
  // Rules: one per code used, in order, each described from the catalogue.
  const expected = (await json(dir)).diagnostics;
  assert.equal(driver.rules.map((r) => r.id), [...new Set(expected.map((d) => d.code))].sort());
  assert.equal(driver.rules.map((r) => r.id), ['GM202', 'GM301', 'GM304']);
  for (const rule of driver.rules) {
    const info = CODES[rule.id as keyof typeof CODES];
    assert.is(rule.name, info.name);
    assert.is(rule.shortDescription.text, info.description);
    assert.is(rule.defaultConfiguration.level, info.severity);
  }
  // Results: one per diagnostic, same order, same places.
  assert.is(sarifRun!.results.length, expected.length);
  sarifRun!.results.forEach((result, i) => {
    const d = expected[i]!;
    assert.is(result.ruleId, d.code);
    assert.is(driver.rules[result.ruleIndex]!.id, result.ruleId, 'ruleIndex points at the rule of ruleId');
    assert.is(result.level, d.severity);
    assert.is(result.message.text, d.message);
    assert.is(result.locations.length, 1);
    const { artifactLocation, region } = result.locations[0]!.physicalLocation;
    assert.ok(region.startLine >= 1 && region.startColumn >= 1);
    assert.equal([region.startLine, region.startColumn], [d.line, d.column]);
    assert.is(artifactLocation.uriBaseId, '%SRCROOT%');
    assert.not.match(artifactLocation.uri, /^[a-z][a-z0-9+.-]*:|^\//i, 'a relative reference, not absolute');
    assert.is(artifactLocation.uri.split('/').map(decodeURIComponent).join('/'), `${root}/${d.file}`);
  });
  assert.is(sarifRun!.results.find((r) => r.ruleId === 'GM202')!.locations[0]!.physicalLocation.artifactLocation.uri, `${root}/policies/odd%2Cname%3A100%25.yaml`);
});

test('--format sarif of a valid repository is a valid log with no results', async () => {
  const run = await gitmesh(['validate', await repo({}), '--format', 'sarif']);
  assert.is(run.code, 0);
  const log = JSON.parse(run.stdout) as SarifLog;
  assert.ok(sarifValidator()(log));
  assert.equal(log.runs[0]!.results, []);
  assert.equal(log.runs[0]!.tool.driver.rules, []);
});

test('the SARIF schema check catches a broken log', () => {
  const validateSarif = sarifValidator();
  assert.not.ok(validateSarif({ version: '2.1.0', runs: [{ tool: { driver: {} } }] }), 'driver.name is required');
  assert.not.ok(validateSarif({ version: '2.1.0', runs: [{ tool: { driver: { name: 'x' } }, results: [{ message: { text: 'm' }, level: 'fatal' }] }] }));
});

// ── failure threshold ───────────────────────────────────────────────────────────────────────

test('warnings alone exit 0; --failure-threshold warning makes them fail', async () => {
  const dir = await repo({ 'policies/timeouts.yaml': WARNINGS });
  const lenient = await json(dir);
  assert.is(lenient.code, 0);
  assert.equal(lenient.summary, { files: 2, resources: 7, errors: 0, warnings: 2, suppressed: 0 });
  assert.is((await json(dir, '--failure-threshold', 'warning')).code, 1);
  assert.is((await json(dir, '--failure-threshold', 'error')).code, 0);
  // And a valid repository still passes at the strict threshold.
  assert.is((await json(await repo({}), '--failure-threshold', 'warning')).code, 0);
});

// ── suppression ─────────────────────────────────────────────────────────────────────────────

const annotate = (text: string, name: string, value: string) =>
  text.replace(`name: ${name}\n`, `name: ${name}\nannotations:\n  gitmesh.io/lint-suppress: ${JSON.stringify(value)}\n`);

test('a lint-suppress annotation with a reason hides that code on that resource only, and is counted', async () => {
  const dir = await repo({ 'policies/timeouts.yaml': annotate(WARNINGS, 'legacy-a', 'GM304: the service is being migrated') });
  const out = await json(dir, '--failure-threshold', 'warning');
  assert.equal(codes(out), ['GM304 modern']);
  assert.is(out.summary.warnings, 1);
  assert.is(out.summary.suppressed, 1);
  assert.is(out.code, 1, 'the other resource still fails at the warning threshold');
});

test('a lint-suppress annotation without a reason is GM314 at the annotation', async () => {
  const text = annotate(WARNINGS, 'legacy-a', 'GM304');
  const out = await json(await repo({ 'policies/timeouts.yaml': text }));
  const gm314 = out.diagnostics.filter((d) => d.code === 'GM314');
  assert.is(gm314.length, 1);
  assert.is(gm314[0]!.name, 'legacy-a');
  assert.is(gm314[0]!.severity, 'warning');
  assert.match(gm314[0]!.message, /no reason/);
  assert.is(text.split('\n')[gm314[0]!.line - 1]!.slice(gm314[0]!.column - 1), '"GM304"');
});

test('a lint-suppress annotation cannot hide an unsuppressible code, and says so', async () => {
  const duplicate = 'type: MeshTimeout\nname: modern\nmesh: default\nspec:\n  targetRef:\n    kind: Mesh\n  to: []\n';
  const dir = await repo({
    'policies/timeouts.yaml': annotate(WARNINGS, 'modern', 'GM301,GM304: duplicates are fine here'),
    'policies/copy.yaml': duplicate,
  });
  const out = await json(dir);
  assert.is(out.code, 1);
  const gm301 = out.diagnostics.filter((d) => d.code === 'GM301');
  assert.equal(gm301.map((d) => d.file), ['policies/copy.yaml', 'policies/timeouts.yaml'], 'both copies still reported');
  const gm314 = out.diagnostics.filter((d) => d.code === 'GM314');
  assert.is(gm314.length, 1);
  assert.match(gm314[0]!.message, /GM301 \(duplicate-resource\) cannot be suppressed/);
  // GM304 on `modern` is suppressible and hidden; `legacy-a` keeps its own.
  assert.equal(out.diagnostics.filter((d) => d.code === 'GM304').map((d) => d.name), ['legacy-a']);
});

test('--suppress CODE=KIND/NAME hides matching findings by glob, and the summary counts them', async () => {
  const dir = await repo({ 'policies/timeouts.yaml': WARNINGS, [ODD_FILE]: ERROR });
  const all = await json(dir, '--suppress', 'GM304=MeshTimeout/*');
  assert.equal(codes(all), ['GM202 typo']);
  assert.equal(all.summary, { files: 3, resources: 8, errors: 1, warnings: 0, suppressed: 2 });

  const one = await json(dir, '--suppress', 'GM304=MeshTimeout/legacy-*');
  assert.equal(codes(one), ['GM202 typo', 'GM304 modern']);
  assert.is(one.summary.suppressed, 1);

  const otherKind = await json(dir, '--suppress', 'GM304=Dataplane/*');
  assert.equal(codes(otherKind), ['GM202 typo', 'GM304 legacy-a', 'GM304 modern']);
  assert.is(otherKind.summary.suppressed, 0);

  const codeGlob = await json(dir, '--suppress', 'GM30*', '--suppress', 'GM202=MeshTimeout/typo');
  assert.equal(codeGlob.diagnostics, []);
  assert.is(codeGlob.summary.suppressed, 3);
  assert.is(codeGlob.code, 0, 'a suppressed error no longer fails the run');
});

test('--suppress CODE hides the code on every resource', async () => {
  const out = await json(await repo({ 'policies/timeouts.yaml': WARNINGS }), '--suppress', 'GM304', '--failure-threshold', 'warning');
  assert.equal(out.diagnostics, []);
  assert.is(out.summary.suppressed, 2);
  assert.is(out.code, 0);
});

test('--suppress cannot hide an unsuppressible code', async () => {
  const empty = await tempRepo({});
  created.push(empty);
  const out = await json(empty, '--suppress', 'GM501', '--suppress', 'GM5*');
  assert.equal(codes(out), ['GM501']);
  assert.is(out.summary.suppressed, 0);
  assert.is(out.code, 1);
  const binary = await json(await repo({ 'policies/blob.yaml': '\u0000\u0001' }), '--suppress', 'GM106');
  assert.equal(codes(binary), ['GM106']);
  assert.is(binary.code, 1);
});

// ── env twins (the real binary, whose env is the process's) ─────────────────────────────────

test('GITMESH_FORMAT=json selects the format, and --format still wins over it', async () => {
  const main = builtCli();
  const dir = await repo({ 'policies/timeouts.yaml': WARNINGS });
  const run = (args: string[], env: Record<string, string>) =>
    spawnSync(process.execPath, [main, 'validate', dir, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  const viaEnv = run([], { GITMESH_FORMAT: 'json' });
  assert.is(viaEnv.status, 0, viaEnv.stderr);
  assert.equal((JSON.parse(viaEnv.stdout) as JsonOutput).summary.warnings, 2);
  const flagWins = run(['--format', 'github'], { GITMESH_FORMAT: 'json' });
  assert.match(flagWins.stdout, /^::warning /);
  const badEnv = run([], { GITMESH_FORMAT: 'xml' });
  assert.is(badEnv.status, 2);
  const strict = run([], { GITMESH_FAILURE_THRESHOLD: 'warning' });
  assert.is(strict.status, 1);
});

test('an injected environment is what the env twins read, in-process too', async () => {
  const dir = await repo({ 'policies/timeouts.yaml': WARNINGS });
  process.env.GITMESH_FORMAT = 'github';
  try {
    const injected = await gitmesh(['validate', dir], process.cwd(), { GITMESH_FORMAT: 'json' });
    assert.equal((JSON.parse(injected.stdout) as JsonOutput).summary.warnings, 2);
    assert.is(process.env.GITMESH_FORMAT, 'github', 'the process environment is restored');
    const none = await gitmesh(['validate', dir], process.cwd(), {});
    assert.match(none.stdout, /warnings?/);
    assert.not.match(none.stdout, /^::warning/);
  } finally {
    delete process.env.GITMESH_FORMAT;
  }
});

test.after(async () => {
  await Promise.all(created.map((dir) => rm(dir, { recursive: true, force: true })));
});

test.run();
