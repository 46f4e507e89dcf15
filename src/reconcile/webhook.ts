// The GitHub webhook receiver: X-Hub-Signature-256 verification over the raw body, then a push starts a fetch at once (DESIGN.md §5).
//
// Order of checks, each answering before the next runs, so an unverified caller learns nothing
// and costs no more than reading a capped body:
//   no secret configured → 404 · not POST → 405 · body over the cap → 413 ·
//   signature missing or wrong → 401 · no X-GitHub-Event → 400 · `ping` → 200 ·
//   `push` with a body that is not a push payload → 400 · `push` → 202 and onPush ·
//   any other event → 204 (verified, nothing to do: GitHub shows it delivered, and nothing runs).
// The JSON body is parsed only after the signature is verified.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { noopLogger, type Logger } from '../core/log.js';

/** What a verified push delivery tells the reconciler. */
export interface PushEvent {
  /** `X-GitHub-Delivery` (a GUID), or null when absent. */
  readonly delivery: string | null;
  /** The ref pushed, e.g. `refs/heads/main`. */
  readonly ref: string;
  /** The commit the ref points to after the push (all zeros when the ref was deleted). */
  readonly after: string;
}

/** Options of the webhook receiver. */
export interface WebhookOptions {
  /** The shared secret (GITMESH_WEBHOOK_SECRET or --webhook-secret-file); undefined or empty: the endpoint answers 404. */
  readonly secret?: string | Buffer | undefined;
  /**
   * Called once per verified push, before the 202 is sent; it should start a fetch and return
   * at once (a returned promise is not awaited: a rejection is logged). A synchronous throw
   * answers 500.
   */
  readonly onPush: (event: PushEvent) => void | Promise<unknown>;
  /** Largest body read, bytes (default 1 MiB; GitHub caps payloads at 25 MB, but a push of policies is far smaller). */
  readonly maxBodyBytes?: number;
  readonly logger?: Logger;
}

/** Default body cap: 1 MiB. */
export const WEBHOOK_MAX_BODY_BYTES = 1024 * 1024;

const SIGNATURE = /^sha256=([0-9a-fA-F]{64})$/;

/**
 * Whether `header` (`X-Hub-Signature-256`: `sha256=` and 64 hex digits) is the HMAC-SHA256 of
 * `rawBody` under `secret`. Compares in constant time (timingSafeEqual on two 32-byte digests).
 * Never throws: a missing or malformed header, or an empty secret, is false.
 */
export function verifySignature(secret: string | Buffer, rawBody: Buffer, header: string | undefined): boolean {
  if (typeof header !== 'string' || secret.length === 0) return false;
  const match = SIGNATURE.exec(header.trim());
  if (!match) return false;
  const given = Buffer.from(match[1]!, 'hex');
  const expected = createHmac('sha256', secret).update(rawBody).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** `X-Hub-Signature-256` for `body` under `secret` (for tests and for tools that send deliveries). */
export function signatureHeader(secret: string | Buffer, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** The answer to one delivery, apart from HTTP plumbing: status, JSON body, extra headers. */
export interface WebhookAnswer {
  readonly status: number;
  readonly body: Readonly<Record<string, unknown>> | null;
  readonly headers?: Readonly<Record<string, string>>;
  /** A verified push to hand to onPush. */
  readonly push?: PushEvent;
}

/** An error answer in the admin API's shape: `{"error": {"code", "message"}}`. */
export function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}

/**
 * Decides the answer to a delivery whose body was read in full (pure; the module comment gives
 * the order of checks). `secret` must be non-empty; the 404, 405 and 413 cases are the handler's.
 */
export function answerDelivery(secret: string | Buffer, headers: IncomingHttpHeaders, rawBody: Buffer): WebhookAnswer {
  const signature = header(headers, 'x-hub-signature-256');
  if (signature === undefined) return { status: 401, body: errorBody('Unauthorized', 'missing X-Hub-Signature-256') };
  if (!verifySignature(secret, rawBody, signature)) return { status: 401, body: errorBody('Unauthorized', 'X-Hub-Signature-256 does not match the body') };
  const event = header(headers, 'x-github-event');
  const delivery = header(headers, 'x-github-delivery') ?? null;
  if (event === undefined || event === '') return { status: 400, body: errorBody('BadRequest', 'missing X-GitHub-Event') };
  if (event === 'ping') return { status: 200, body: { event, delivery, pong: true } };
  if (event !== 'push') return { status: 204, body: null };
  const payload = parsePayload(headers, rawBody);
  if (payload === undefined) return { status: 400, body: errorBody('BadRequest', 'the push payload is not JSON') };
  const ref = field(payload, 'ref');
  const after = field(payload, 'after');
  if (ref === undefined || after === undefined) return { status: 400, body: errorBody('BadRequest', 'the push payload has no "ref" and "after" strings') };
  const push: PushEvent = { delivery, ref, after };
  return { status: 202, body: { event, ...push, accepted: true }, push };
}

/**
 * An HTTP handler for `POST /webhook` (module comment). Reads at most `maxBodyBytes`; never
 * throws (a failure answers 500); calls onPush at most once per request, and only for a
 * verified push.
 */
export function webhookHandler(options: WebhookOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const log = options.logger ?? noopLogger;
  const max = options.maxBodyBytes ?? WEBHOOK_MAX_BODY_BYTES;
  const secret = options.secret !== undefined && options.secret.length > 0 ? options.secret : undefined;
  return async (req, res) => {
    try {
      if (secret === undefined) return send(res, { status: 404, body: errorBody('NotFound', 'no webhook secret is configured') });
      if (req.method !== 'POST') return send(res, { status: 405, body: errorBody('MethodNotAllowed', `${req.method ?? ''} is not allowed; use POST`), headers: { allow: 'POST' } });
      const body = await readBody(req, max);
      if (body === undefined) {
        log.warn({ limit: max, delivery: header(req.headers, 'x-github-delivery') }, 'webhook body over the limit; refused');
        return send(res, { status: 413, body: errorBody('PayloadTooLarge', `the body is over ${max} bytes`), headers: { connection: 'close' } }, () => drain(req, max));
      }
      const answer = answerDelivery(secret, req.headers, body);
      if (answer.status === 401) log.warn({ delivery: header(req.headers, 'x-github-delivery'), remote: req.socket.remoteAddress }, 'webhook delivery with a bad or missing signature; refused');
      if (answer.push) {
        log.info({ delivery: answer.push.delivery, ref: answer.push.ref, after: answer.push.after }, 'webhook push: fetching');
        const started = options.onPush(answer.push);
        if (started && typeof (started as Promise<unknown>).catch === 'function') {
          (started as Promise<unknown>).catch((error: unknown) => log.error({ err: error, delivery: answer.push?.delivery }, 'the fetch started by a webhook push failed'));
        }
      }
      send(res, answer);
    } catch (error) {
      log.error({ err: error }, 'webhook handler failed');
      if (!res.headersSent) send(res, { status: 500, body: errorBody('Internal', 'the webhook could not be handled') });
      else res.destroy();
    }
  };
}

/** Writes an answer as JSON (or no body for 204), serialized once. */
function send(res: ServerResponse, answer: WebhookAnswer, after?: () => void): void {
  const text = answer.body === null ? '' : `${JSON.stringify(answer.body)}\n`;
  const headers: Record<string, string | number> = { 'cache-control': 'no-store', ...answer.headers };
  if (answer.body !== null) {
    headers['content-type'] = 'application/json; charset=utf-8';
    headers['content-length'] = Buffer.byteLength(text);
  }
  res.writeHead(answer.status, headers);
  res.end(text, after);
}

/**
 * The body, or undefined when it is (or says it is) longer than `max` bytes; then the request is
 * left paused, unread past the cap (not destroyed: the client must still read the answer).
 */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const settle = (result: Buffer | undefined, error?: Error): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      if (error) reject(error);
      else resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > max) {
        req.pause();
        settle(undefined);
      } else chunks.push(chunk);
    };
    const onEnd = (): void => settle(Buffer.concat(chunks, size));
    const onError = (error: Error): void => settle(undefined, error);
    const onClose = (): void => settle(undefined, new Error('the client closed the request before its body ended'));
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/**
 * Discards the rest of an oversize body so the client reads the 413 rather than a reset, up to
 * 16× the cap; a client that sends more than that is cut off.
 */
function drain(req: IncomingMessage, max: number): void {
  if (req.readableEnded) return;
  let discarded = 0;
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > 16 * max) req.socket.destroy();
  });
  req.resume();
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** The payload of a JSON delivery, or of a form-encoded one (`payload=`), as GitHub can send either. */
function parsePayload(headers: IncomingHttpHeaders, rawBody: Buffer): unknown {
  let text = rawBody.toString('utf8');
  if ((header(headers, 'content-type') ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    const form = new URLSearchParams(text).get('payload');
    if (form === null) return undefined;
    text = form;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function field(payload: unknown, key: string): string | undefined {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return undefined;
  const value = (payload as Record<string, unknown>)[key];
  return typeof value === 'string' ? value : undefined;
}
