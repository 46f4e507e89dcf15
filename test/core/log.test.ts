// The logger: JSON lines by default, readable when asked, level from the environment, and no credential ever written.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createLogger, isSensitiveKey, noopLogger, redactFields, redactUrl, resolveLogSettings, type Logger } from '../../src/core/log.js';

const TOKEN = 'ghp_s3cr3tT0kenValue1234567890';

/** A logger writing into a string, and the lines it wrote. */
function captured(options: Parameters<typeof createLogger>[0] = {}) {
  let out = '';
  const logger = createLogger({ env: {}, ...options, destination: { write: (line: string) => void (out += line) } });
  return { logger, text: () => out, lines: () => out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

test('redactUrl hides the userinfo of every URL and leaves the rest alone', () => {
  assert.is(redactUrl('https://user:pass@host/x'), 'https://***@host/x');
  assert.is(redactUrl(`fetch https://x-access-token:${TOKEN}@github.com/o/r.git failed`), 'fetch https://***@github.com/o/r.git failed');
  assert.is(redactUrl('http://tok@a.example and ssh://u:p@b.example:22/r'), 'http://***@a.example and ssh://***@b.example:22/r');
  // an unencoded @ in the password is swallowed up to the last @ of the authority
  assert.is(redactUrl('https://u:p@ss@host/path'), 'https://***@host/path');
  // an @ after the authority is not userinfo
  assert.is(redactUrl('https://host/path?who=a@b'), 'https://host/path?who=a@b');
  assert.is(redactUrl('git@github.com:o/r.git'), 'git@github.com:o/r.git');
  assert.is(redactUrl('"https://u:p@h"'), '"https://***@h"');
});

test('credential fields are redacted at any depth, and nothing else is copied', () => {
  // given fields with credentials nested in objects and arrays
  const fields = { repo: 'r', auth: { token: TOKEN, nested: [{ Authorization: `Bearer ${TOKEN}` }] }, password: 'p', webhookSecret: 's', url: new URL(`https://u:${TOKEN}@h/`) };
  // when redacted
  const out = JSON.stringify(redactFields(fields));
  // then no credential is left
  assert.not.ok(out.includes(TOKEN));
  assert.ok(out.includes('"token":"[Redacted]"') && out.includes('"Authorization":"[Redacted]"') && out.includes('"webhookSecret":"[Redacted]"'));
  assert.ok(out.includes('https://***@h/'));
  const plain = { a: 1, b: ['x'] };
  assert.is(redactFields(plain), plain);
  assert.ok(isSensitiveKey('x-gitmesh-token') && isSensitiveKey('PASSWORD') && !isSensitiveKey('tokens_used') && !isSensitiveKey('secrets'));
});

test('a token never appears in the log output, whichever way it is logged', () => {
  // given a JSON logger writing into a string
  const { logger, text } = captured({ bindings: { component: 'git', token: TOKEN } });
  const url = `https://x-access-token:${TOKEN}@github.com/o/r.git`;
  // when the token is logged as a field, in a URL, in a message, in an error and in a child binding
  logger.info({ token: TOKEN, headers: { authorization: `token ${TOKEN}` }, remote: url }, `fetching ${url}`);
  logger.error({ err: new Error(`GET ${url} failed: 401`) }, 'fetch failed');
  logger.warn(new Error(`clone of ${url} timed out`));
  logger.child({ password: TOKEN, source: url }).info('child');
  logger.child({ module: 'git' }).child({ authorization: TOKEN }).info('grandchild');
  logger.info({ deep: { a: { b: { c: { secret: TOKEN } } } } }, 'deep');
  // then the output holds it nowhere, and still says what happened
  const out = text();
  assert.not.ok(out.includes(TOKEN), out);
  assert.ok(out.includes('https://***@github.com/o/r.git'));
  assert.ok(out.includes('fetch failed') && out.includes('timed out'));
});

test('JSON lines by default, with the level from GITMESH_LOG_LEVEL', () => {
  // given GITMESH_LOG_LEVEL=warn
  const { logger, lines } = captured({ env: { GITMESH_LOG_LEVEL: 'warn' } });
  // when info and warn lines are logged
  logger.info('quiet');
  logger.warn({ commit: 'abc' }, 'loud');
  // then only the warning is written, as one JSON object with an ISO time
  const written = lines();
  assert.is(written.length, 1);
  assert.is(written[0]!.msg, 'loud');
  assert.is(written[0]!.commit, 'abc');
  assert.is(written[0]!.level, 40);
  assert.match(String(written[0]!.time), /^\d{4}-\d\d-\d\dT/);
});

test('pretty output on a TTY or when GITMESH_LOG_FORMAT=pretty, still redacted', () => {
  let out = '';
  const logger = createLogger({ env: { GITMESH_LOG_FORMAT: 'pretty' }, destination: { write: (l: string) => void (out += l) } });
  logger.info({ token: TOKEN, remote: `https://u:${TOKEN}@h/r` }, 'hello');
  assert.ok(out.includes('INFO') && out.includes('hello'), out);
  assert.not.ok(out.trimStart().startsWith('{'));
  assert.not.ok(out.includes(TOKEN), out);
  assert.not.ok(out.includes('\u001b['), 'no colors when the destination is not a terminal');
});

test('settings: TTY means pretty, json wins when asked, unknown values fall back with a warning', () => {
  assert.equal(resolveLogSettings({ isTty: true }), { level: 'info', format: 'pretty', colorize: true, problems: [] });
  assert.is(resolveLogSettings({ isTty: true, env: { NO_COLOR: '1' } }).colorize, false);
  assert.is(resolveLogSettings({ isTty: true, env: { GITMESH_LOG_FORMAT: 'json' } }).format, 'json');
  assert.is(resolveLogSettings({ env: { GITMESH_LOG_LEVEL: 'DEBUG' } }).level, 'debug');
  const bad = resolveLogSettings({ env: { GITMESH_LOG_LEVEL: 'loud', GITMESH_LOG_FORMAT: 'xml' } });
  assert.is(bad.level, 'info');
  assert.is(bad.format, 'json');
  assert.is(bad.problems.length, 2);
  const { lines } = captured({ env: { GITMESH_LOG_LEVEL: 'loud' } });
  assert.match(String(lines()[0]!.msg), /unknown log level "loud"/);
});

test('a pino logger and noopLogger both fit the Logger interface', () => {
  const loggers: Logger[] = [captured().logger, noopLogger, noopLogger.child({ module: 'x' })];
  for (const logger of loggers) logger.info({ a: 1 }, 'fits');
});

test.run();
