// Logging: the Logger interface every stage takes, a no-op default, and the pino factory (JSON lines, or readable on a terminal) that never writes a credential.
//
// Redaction happens in three places so that no path around it is left open:
// - fields: any key named like a credential (token, password, secret, authorization, cookie,
//   private key; also as a suffix: `githubToken`, `x-gitmesh-token`) is replaced by
//   `[Redacted]`, at any depth, in logged objects, child bindings and serialized errors;
// - errors anywhere in a logged object are serialized (pino's err serializer) and redacted;
// - the finished line (message, stack, every string) passes through redactUrl, so a URL with
//   userinfo (`https://user:pass@host`) is written `https://***@host` wherever it appears.
import { pino, stdSerializers, type DestinationStream, type Logger as PinoLogger } from 'pino';
import { prettyFactory } from 'pino-pretty';

/** One log method: an object of fields and an optional message, or a message alone. */
export interface LogFn {
  (fields: object, message?: string): void;
  (message: string): void;
}

/**
 * What a stage takes to log (STYLE.md §11: effects come in explicitly). A pino logger is one;
 * so is noopLogger. Name the module in a child: `logger.child({ module: 'admin' })`.
 */
export interface Logger {
  readonly trace: LogFn;
  readonly debug: LogFn;
  readonly info: LogFn;
  readonly warn: LogFn;
  readonly error: LogFn;
  readonly fatal: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}

const noop: LogFn = () => {};

/** A logger that drops everything: the default wherever a logger is optional. */
export const noopLogger: Logger = Object.freeze({
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  fatal: noop,
  child: () => noopLogger,
});

/** What the log is written to: anything with a synchronous `write` of one line (a stream, or a test's collector). */
export interface LogDestination {
  write(line: string): unknown;
}

export type LogFormat = 'json' | 'pretty';
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

const LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** The text that replaces a credential field's value. */
export const REDACTED = '[Redacted]';

/** Keys whose values are credentials, matched case-insensitively as the whole key or its suffix. */
const SENSITIVE_KEY = /(?:token|password|passwd|secret|authorization|cookie|private_?key)$/i;

/**
 * `scheme://` followed by userinfo and `@`. Userinfo stops at what cannot be in an authority
 * (`/ ? #`, whitespace) or would end a quoted string in JSON or text (`" ' < > \`); it is
 * greedy, so an unencoded `@` in a password is swallowed up to the last `@` of the authority.
 */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#"'<>\\]+@/gi;

/**
 * Replaces the userinfo of every URL in `text` by `***`: `https://user:pass@host/x` →
 * `https://***@host/x`. Pure; text without such a URL is returned unchanged.
 */
export function redactUrl(text: string): string {
  if (!text.includes('@')) return text;
  return text.replace(URL_USERINFO, '$1***@');
}

/** Whether a field of this name holds a credential (and is logged as `[Redacted]`). */
export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEY.test(key);
}

const MAX_DEPTH = 8;

/**
 * A copy of `value` fit to log: credential fields replaced, URL userinfo removed from strings,
 * Errors serialized, URL objects written as redacted strings. Pure; does not copy what needs no
 * change; cycles and depth beyond 8 are cut (`[Circular]`, `[Object]`).
 */
export function redactFields(value: unknown): unknown {
  return redact(value, new WeakSet(), 0);
}

function redact(value: unknown, seen: WeakSet<object>, depth: number): unknown {
  if (typeof value === 'string') return redactUrl(value);
  if (typeof value !== 'object' || value === null) return value;
  if (value instanceof URL) return redactUrl(value.href);
  if (ArrayBuffer.isView(value) || value instanceof Date) return value;
  if (seen.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[Object]';
  seen.add(value);
  try {
    if (value instanceof Error) return redact({ ...stdSerializers.err(value) }, seen, depth + 1);
    if (Array.isArray(value)) {
      let changed = false;
      const out = value.map((item) => {
        const next = redact(item, seen, depth + 1);
        if (next !== item) changed = true;
        return next;
      });
      return changed ? out : value;
    }
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null) return value; // class instances: pino stringifies them as JSON
    let out: Record<string, unknown> | undefined;
    for (const [key, item] of Object.entries(value)) {
      const next = isSensitiveKey(key) && item !== undefined && item !== null ? REDACTED : redact(item, seen, depth + 1);
      if (next !== item) out ??= { ...(value as Record<string, unknown>) };
      if (out) out[key] = next;
    }
    return out ?? value;
  } finally {
    seen.delete(value);
  }
}

/** The environment a logger is configured from (a subset of process.env). */
export interface LogEnv {
  readonly GITMESH_LOG_LEVEL?: string | undefined;
  readonly GITMESH_LOG_FORMAT?: string | undefined;
  readonly NO_COLOR?: string | undefined;
}

/** Level and format as resolved from options and the environment, with what was wrong in it. */
export interface LogSettings {
  readonly level: LogLevel;
  readonly format: LogFormat;
  readonly colorize: boolean;
  /** Unknown values that were replaced by defaults (logged as a warning once the logger exists). */
  readonly problems: readonly string[];
}

/**
 * Resolves the settings (pure): `level` option, else GITMESH_LOG_LEVEL, else `info`; `format`
 * option, else GITMESH_LOG_FORMAT (`json` | `pretty`), else `pretty` on a TTY and `json`
 * otherwise. Colors only on a TTY without NO_COLOR.
 */
export function resolveLogSettings(options: { env?: LogEnv; isTty?: boolean; level?: string; format?: string }): LogSettings {
  const env = options.env ?? {};
  const isTty = options.isTty ?? false;
  const problems: string[] = [];
  const levelText = (options.level ?? env.GITMESH_LOG_LEVEL ?? '').trim().toLowerCase();
  let level: LogLevel = 'info';
  if (levelText !== '') {
    if ((LEVELS as readonly string[]).includes(levelText)) level = levelText as LogLevel;
    else problems.push(`unknown log level ${JSON.stringify(levelText)} (expected one of ${LEVELS.join(', ')}); using info`);
  }
  const formatText = (options.format ?? env.GITMESH_LOG_FORMAT ?? '').trim().toLowerCase();
  let format: LogFormat = isTty ? 'pretty' : 'json';
  if (formatText === 'json' || formatText === 'pretty') format = formatText;
  else if (formatText !== '') problems.push(`unknown log format ${JSON.stringify(formatText)} (expected json or pretty); using ${format}`);
  return { level, format, colorize: format === 'pretty' && isTty && !env.NO_COLOR, problems };
}

/** Options of createLogger; all optional. */
export interface CreateLoggerOptions {
  /** Default process.env. */
  readonly env?: LogEnv;
  /** Default stdout (pino's synchronous destination). Tests pass a collector. */
  readonly destination?: LogDestination;
  /** Whether the destination is a terminal; default: stdout's isTTY when writing to stdout, else false. */
  readonly isTty?: boolean;
  /** Overrides GITMESH_LOG_LEVEL. */
  readonly level?: LogLevel;
  /** Overrides GITMESH_LOG_FORMAT. */
  readonly format?: LogFormat;
  /** Fields on every line (e.g. `{ name: 'gitmesh' }`); redacted like any other. */
  readonly bindings?: Record<string, unknown>;
}

/**
 * A pino logger: JSON lines (production) or, on a TTY or with GITMESH_LOG_FORMAT=pretty,
 * readable lines from pino-pretty run synchronously in this thread (no worker transport, so
 * nothing is lost on exit). Every line is redacted (module comment). Writes synchronously.
 */
export function createLogger(options: CreateLoggerOptions = {}): PinoLogger {
  const toStdout = options.destination === undefined;
  const settings = resolveLogSettings({
    env: options.env ?? process.env,
    isTty: options.isTty ?? (toStdout ? Boolean(process.stdout.isTTY) : false),
    ...(options.level !== undefined && { level: options.level }),
    ...(options.format !== undefined && { format: options.format }),
  });
  const base: LogDestination = options.destination ?? pino.destination({ dest: 1, sync: true });
  let destination: LogDestination = base;
  if (settings.format === 'pretty') {
    const prettify = prettyFactory({ colorize: settings.colorize, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
    destination = { write: (line: string) => base.write(prettify(line)) };
  }
  const logger = pino(
    {
      level: settings.level,
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: { err: (value: unknown) => (value instanceof Error ? redactFields(value) : value) },
      formatters: {
        bindings: (bindings) => redactFields(bindings) as Record<string, unknown>,
        log: (fields) => redactFields(fields) as Record<string, unknown>,
      },
      hooks: { streamWrite: redactUrl },
    },
    destination as DestinationStream,
  );
  // pino formats the bindings of the root only (a child's go out as given): redact them on the
  // way in. Children are created from their parent's prototype, so they all inherit this.
  const original = logger.child;
  logger.child = function (this: PinoLogger, bindings: Record<string, unknown>, childOptions?: object) {
    return original.call(this, redactFields(bindings) as Record<string, unknown>, childOptions);
  } as typeof logger.child;
  for (const problem of settings.problems) logger.warn({ module: 'log' }, problem);
  return options.bindings !== undefined ? logger.child(options.bindings) : logger;
}
