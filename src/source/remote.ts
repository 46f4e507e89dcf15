// A remote repository over smart HTTP(S): one persistent bare mirror, fetched incrementally, read at a commit without a checkout.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import git, { type GitHttpRequest, type GitHttpResponse, type HttpClient, type ServerRef } from 'isomorphic-git';
import nodeHttp from 'isomorphic-git/http/node';
import { GitmeshError } from '../core/errors.js';
import { formatBytes } from './folder.js';
import { GitObjectCache, readCommitInfo, readRevision, RefNotFoundError, resolveCommit, type CommitInfo, type Revision } from './git.js';
import type { SourceLimits } from './types.js';

/** The remote could not be reached or failed on its side (network, timeout, 408/429/5xx): keep serving the last good snapshot and retry at the next poll. */
export class RemoteUnavailableError extends GitmeshError {
  constructor(message: string, data: Record<string, unknown>, options?: { cause?: unknown }) {
    super('RemoteUnavailable', message, data, options);
  }
}

/** The remote refused the credentials (401, 403): stalled until someone fixes the token; retrying as is will not help. */
export class RemoteAuthError extends GitmeshError {
  constructor(message: string, data: Record<string, unknown>, options?: { cause?: unknown }) {
    super('RemoteAuth', message, data, options);
  }
}

/** No git repository answers at the URL (404, or not smart HTTP): stalled until the URL, or the token's access, is fixed. */
export class RemoteNotFoundError extends GitmeshError {
  constructor(message: string, data: Record<string, unknown>, options?: { cause?: unknown }) {
    super('RemoteNotFound', message, data, options);
  }
}

/** The mirror's git dir cannot be created or written (permissions, disk full): retry later; it needs attention. */
export class MirrorStorageError extends GitmeshError {
  constructor(message: string, data: Record<string, unknown>, options?: { cause?: unknown }) {
    super('MirrorStorage', message, data, options);
  }
}

/** Something worth an operator's attention that does not stop the fetch. */
export interface RemoteWarning {
  readonly code: 'LargePack';
  readonly message: string;
  readonly data: Readonly<Record<string, unknown>>;
}

export interface RemoteMirrorOptions {
  /** `http://` or `https://` URL of the repository. Credentials in it are used (as `token` is) and never stored or shown. */
  readonly url: string;
  /** The persistent bare git dir; created on first use, fetched into incrementally afterwards (and after a restart). */
  readonly gitdir: string;
  /** A branch, a tag, `HEAD` (the remote's default branch) or a full commit id (a pin). Default `HEAD`. */
  readonly ref?: string;
  /**
   * Sent as HTTP basic auth with every request: a bare token goes as the password of user
   * `x-access-token` (GitHub's form; GitLab and Gitea accept any user name), `USER:PASSWORD` as is.
   */
  readonly token?: string;
  /** Commits of history fetched the first time (a shallow clone); later fetches bring only what is new. Default 1; 0 fetches all history. */
  readonly depth?: number;
  /** A pack larger than this is fetched, and reported through `onWarning`. Default 64 MiB. */
  readonly maxPackBytes?: number;
  /** Bound on one whole fetch (every request and body), in milliseconds. Default 120 000. */
  readonly timeoutMs?: number;
  /** The HTTP client (default isomorphic-git's node client). */
  readonly http?: HttpClient;
  readonly onWarning?: (warning: RemoteWarning) => void;
}

/** The outcome of one fetch. */
export interface RemoteFetch {
  /** The commit the ref names now: what goes live. */
  readonly commit: string;
  /** The commit of the previous successful fetch of this ref into this git dir (also across restarts), or null. */
  readonly previous: string | null;
  readonly changed: boolean;
  /** Whether a pack was requested (false when the commit was already in the mirror). */
  readonly transferred: boolean;
  readonly ms: number;
  /** Size of the pack files this fetch wrote. */
  readonly packBytes: number;
  /** HTTP response body bytes received, the ref advertisement included. */
  readonly bytesReceived: number;
  /** HTTP requests made. */
  readonly requests: number;
}

const FULL_ID = /^[0-9a-f]{40}$/i;
const SHORT_ID = /^[0-9a-f]{7,39}$/i;
const DEFAULT_MAX_PACK_BYTES = 64 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 120_000;
/** Error bodies are read (so the connection is released) up to this size; the rest is dropped. */
const ERROR_BODY_LIMIT = 64 * 1024;
const STORAGE_CODES = new Set(['EACCES', 'EPERM', 'ENOSPC', 'EROFS', 'EDQUOT', 'ENOTDIR', 'EISDIR']);

/**
 * A persistent, bare, shallow mirror of one ref of a remote repository (DESIGN.md §5, §7).
 *
 * The first fetch is a shallow clone (`depth` commits of one branch or tag, no checkout); later
 * fetches, and the first one after a restart over the same git dir, send the last fetched commit
 * as a "have" and receive only new objects. The ref's tip is followed wherever it moves: a
 * force-push or a ref moved back is fetched like any other change (the tip's tree goes live).
 * A commit id is a pin: fetched once, then never again while the mirror holds it.
 *
 * Fetches on one instance run one at a time. Two instances (or processes) must not share a git
 * dir for the same ref concurrently. The token never appears in a message, an error or the git
 * dir (the URL is stored and shown without credentials).
 */
export class RemoteMirror {
  /** The URL without credentials. */
  readonly url: string;
  readonly gitdir: string;
  readonly ref: string;
  readonly depth: number;
  readonly maxPackBytes: number;
  readonly #timeoutMs: number;
  readonly #http: HttpClient;
  readonly #authorization: string | null;
  readonly #secrets: readonly string[];
  readonly #onWarning: (warning: RemoteWarning) => void;
  /** Where this mirror records the commit it fetched last for `ref` (kept across restarts). */
  readonly #trackingRef: string;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: RemoteMirrorOptions) {
    const { url, credentials } = splitCredentials(options.url);
    this.url = url;
    this.gitdir = options.gitdir;
    this.ref = options.ref ?? 'HEAD';
    this.depth = options.depth ?? 1;
    this.maxPackBytes = options.maxPackBytes ?? DEFAULT_MAX_PACK_BYTES;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#http = options.http ?? nodeHttp;
    this.#onWarning = options.onWarning ?? (() => {});
    const auth = options.token ? tokenCredentials(options.token) : credentials;
    this.#authorization = auth ? `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` : null;
    this.#secrets = auth
      ? [auth.password, encodeURIComponent(auth.password), options.token ?? '', this.#authorization ?? ''].filter((s) => s.length >= 3)
      : [];
    if (!Number.isInteger(this.depth) || this.depth < 0) throw new TypeError(`depth must be a whole number ≥ 0, not ${this.depth}`);
    this.#trackingRef = `refs/gitmesh/fetched/${createHash('sha256').update(this.ref).digest('hex').slice(0, 16)}`;
  }

  /**
   * Fetches what is new for `ref` and resolves it to a commit. `cache` is isomorphic-git's pack
   * cache, shared by the caller with read() and commitInfo() within one reconcile.
   * Throws RemoteUnavailableError (retry), RemoteAuthError, RemoteNotFoundError,
   * RefNotFoundError (stalled: a human must act) or MirrorStorageError; the mirror keeps every
   * commit it fetched before, so the live commit stays readable whatever the error.
   */
  fetch(options: { cache?: object } = {}): Promise<RemoteFetch> {
    const run = this.#queue.then(() => this.#fetch(options.cache ?? {}));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** The commit the last successful fetch of `ref` found (also after a restart), or null. Reads the git dir only. */
  async current(options: { cache?: object } = {}): Promise<string | null> {
    if (!fs.existsSync(join(this.gitdir, 'HEAD'))) return null;
    return this.#tracked(options.cache ?? {});
  }

  /** The policy files of `commit` (an id fetch() returned), read from git objects. */
  read(commit: string, options: { path?: string; limits?: SourceLimits; cache?: object; objects?: GitObjectCache } = {}): Promise<Revision> {
    return readRevision({ dir: this.gitdir, ref: commit, ...options });
  }

  /** Author, committer, message, tree and parents of `commit` (an id fetch() returned). */
  commitInfo(commit: string, options: { cache?: object } = {}): Promise<CommitInfo> {
    return readCommitInfo(this.gitdir, commit, options.cache ?? {});
  }

  async #fetch(cache: object): Promise<RemoteFetch> {
    const started = performance.now();
    await this.#storage('prepare', () => this.#ensureRepository());
    const previous = await this.#tracked(cache);
    const meter = { bytes: 0, requests: 0 };
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new Error('timeout')), this.#timeoutMs);
    timer.unref();
    let outcome: { commit: string; packBytes: number; transferred: boolean };
    try {
      outcome = await this.#resolve(meteredHttp(this.#http, meter, deadline.signal), previous, cache);
    } catch (error) {
      throw this.#classify(error, deadline.signal);
    } finally {
      clearTimeout(timer);
    }
    const { commit, packBytes, transferred } = outcome;
    if (commit !== previous) {
      await this.#storage('record the fetched commit in', () => git.writeRef({ fs, gitdir: this.gitdir, ref: this.#trackingRef, value: commit, force: true }));
    }
    if (packBytes > this.maxPackBytes) {
      this.#onWarning({
        code: 'LargePack',
        message: `${this.url} sent a ${formatBytes(packBytes)} pack for ${this.ref}, over the ${formatBytes(this.maxPackBytes)} bound; a fetch holds its whole pack in memory, so look for large or generated files in the repository (or a rewritten history), or raise the bound`,
        data: { url: this.url, ref: this.ref, commit, packBytes, maxPackBytes: this.maxPackBytes },
      });
    }
    return {
      commit,
      previous,
      changed: commit !== previous,
      transferred,
      ms: Math.round(performance.now() - started),
      packBytes,
      bytesReceived: meter.bytes,
      requests: meter.requests,
    };
  }

  /** The commit `ref` names now, fetching its objects if the mirror lacks them. */
  async #resolve(http: HttpClient, previous: string | null, cache: object): Promise<{ commit: string; packBytes: number; transferred: boolean }> {
    // A pin, or an abbreviated id the mirror already holds, needs no network at all.
    if (FULL_ID.test(this.ref) || SHORT_ID.test(this.ref)) {
      const local = await this.#local(this.ref, cache);
      if (local !== null) return { commit: local, packBytes: 0, transferred: false };
    }
    const target = FULL_ID.test(this.ref) ? { name: this.ref.toLowerCase(), commit: this.ref.toLowerCase() } : await this.#advertised(http);
    // The advertised tip may be here already: unchanged, or moved back to a commit fetched before.
    if (await this.#hasCommit(target.commit, cache)) return { commit: target.commit, packBytes: 0, transferred: false };
    const before = await packSizes(this.gitdir);
    const result = await git.fetch({
      fs,
      http,
      cache,
      gitdir: this.gitdir,
      url: this.url,
      // The local ref whose commit goes as the "have" (with singleBranch, isomorphic-git sends only `ref`).
      ref: this.#trackingRef,
      remoteRef: target.name,
      singleBranch: true,
      tags: false,
      headers: this.#headers(),
      // Shallow only the first time: with a depth, git makes the new tip a shallow boundary and
      // sends its whole tree again, where a fetch without one sends only what changed.
      ...(previous === null && this.depth > 0 && { depth: this.depth }),
    });
    const packBytes = newPackBytes(before, await packSizes(this.gitdir));
    if (!result.fetchHead) throw this.#refNotFound('the remote repository is empty');
    return { commit: await resolveCommit(this.gitdir, result.fetchHead, cache), packBytes, transferred: true };
  }

  /** Resolves `ref` against the remote's advertisement (one GET): its full name and the commit it names. */
  async #advertised(http: HttpClient): Promise<{ name: string; commit: string }> {
    const refs = await git.listServerRefs({ http, url: this.url, headers: this.#headers(), protocolVersion: 1, symrefs: true, peelTags: true });
    if (refs.length === 0) throw this.#refNotFound('the remote repository is empty');
    const found = pickRef(refs, this.ref);
    if (found) return { name: found.ref, commit: found.peeled ?? found.oid };
    if (SHORT_ID.test(this.ref)) {
      throw this.#refNotFound(`an abbreviated commit id cannot be fetched from a remote; give all 40 hex digits`);
    }
    throw this.#refNotFound(`no branch or tag of that name (deleted or renamed?)`);
  }

  #refNotFound(why: string): RefNotFoundError {
    return new RefNotFoundError(this.ref, {
      message: `${this.url}: ref ${JSON.stringify(this.ref)} names no commit: ${why}; the commits fetched before stay readable`,
      data: { url: this.url },
    });
  }

  /** A commit named by a (full or abbreviated) id that the mirror holds complete, or null. */
  async #local(id: string, cache: object): Promise<string | null> {
    const oid = await git.expandOid({ fs, gitdir: this.gitdir, oid: id.toLowerCase(), cache }).catch(() => null);
    return oid !== null && (await this.#hasCommit(oid, cache)) ? oid : null;
  }

  /** The commit recorded by the last fetch, if the mirror still holds it. */
  async #tracked(cache: object): Promise<string | null> {
    const oid = await git.resolveRef({ fs, gitdir: this.gitdir, ref: this.#trackingRef }).catch(() => null);
    return oid !== null && (await this.#hasCommit(oid, cache)) ? oid : null;
  }

  async #hasCommit(oid: string, cache: object): Promise<boolean> {
    try {
      const { commit } = await git.readCommit({ fs, gitdir: this.gitdir, oid, cache });
      await git.readTree({ fs, gitdir: this.gitdir, oid: commit.tree, cache });
      return true;
    } catch {
      return false;
    }
  }

  async #ensureRepository(): Promise<void> {
    if (!fs.existsSync(join(this.gitdir, 'HEAD'))) {
      await mkdir(this.gitdir, { recursive: true, mode: 0o700 });
      await git.init({ fs, gitdir: this.gitdir, bare: true });
    }
    // isomorphic-git needs a remote's fetch refspec; the URL is stored without credentials.
    const stored: unknown = await git.getConfig({ fs, gitdir: this.gitdir, path: 'remote.origin.url' });
    if (stored !== this.url) await git.addRemote({ fs, gitdir: this.gitdir, remote: 'origin', url: this.url, force: true });
  }

  /**
   * Credentials go with every request rather than through isomorphic-git's onAuth: no 401 round
   * trip on each of a fetch's two discoveries, and no unread 401 body (see meteredHttp).
   */
  #headers(): Record<string, string> {
    return this.#authorization ? { Authorization: this.#authorization } : {};
  }

  async #storage<T>(what: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (cause) {
      throw new MirrorStorageError(`cannot ${what} the mirror at ${this.gitdir}: ${this.#scrub(messageOf(cause))}; check its permissions and free space`, { gitdir: this.gitdir, url: this.url }, { cause });
    }
  }

  /** Maps whatever a fetch threw to the error class that says what the caller must do. */
  #classify(error: unknown, deadline: AbortSignal): Error {
    if (error instanceof GitmeshError) return error;
    const data = { url: this.url, ref: this.ref };
    const e = error as { code?: string; data?: { statusCode?: number; response?: unknown } };
    if (deadline.aborted) {
      return new RemoteUnavailableError(`${this.url} did not complete a fetch within ${this.#timeoutMs / 1000}s; retrying at the next poll`, data, { cause: error });
    }
    if (e.code === 'HttpError') {
      const status = e.data?.statusCode ?? 0;
      const detail = typeof e.data?.response === 'string' ? firstLine(this.#scrub(e.data.response)) : '';
      const said = detail ? ` (${detail})` : '';
      const withStatus = { ...data, status };
      if (status === 401) {
        return new RemoteAuthError(
          this.#authorization
            ? `${this.url} refused the token (HTTP 401${said}); check that it is valid, not expired, and allowed to read the repository`
            : `${this.url} asks for credentials (HTTP 401); give a token with read access (GITMESH_GIT_TOKEN)`,
          withStatus,
          { cause: error },
        );
      }
      if (status === 403) return new RemoteAuthError(`${this.url} denied access (HTTP 403${said}); give a token allowed to read the repository`, withStatus, { cause: error });
      if (status === 404 || status === 410) {
        return new RemoteNotFoundError(`${this.url}: no repository there (HTTP ${status}); check the URL, and that the token can read it if it is private`, withStatus, { cause: error });
      }
      return new RemoteUnavailableError(`${this.url} answered HTTP ${status}${said}; retrying at the next poll`, withStatus, { cause: error });
    }
    if (e.code === 'SmartHttpError') {
      return new RemoteNotFoundError(`${this.url} does not answer as a git repository over smart HTTP; check the URL (it usually ends in .git)`, data, { cause: error });
    }
    if (e.code === 'NotFoundError') return this.#refNotFound('no branch or tag of that name (it went away during the fetch?)');
    if (e.code === 'RemoteCapabilityError') {
      return new RemoteNotFoundError(`${this.url} cannot serve shallow fetches; set depth 0 to fetch all history`, data, { cause: error });
    }
    if (e.code !== undefined && STORAGE_CODES.has(e.code)) {
      return new MirrorStorageError(`cannot write the mirror at ${this.gitdir}: ${this.#scrub(messageOf(error))}; check its permissions and free space`, { ...data, gitdir: this.gitdir }, { cause: error });
    }
    // Network failures (ECONNREFUSED, ECONNRESET, ENOTFOUND, TLS...) and broken answers: transient.
    return new RemoteUnavailableError(`cannot fetch ${this.url}: ${this.#scrub(messageOf(error))}; retrying at the next poll`, { ...data, ...(e.code !== undefined && { cause: e.code }) }, { cause: error });
  }

  #scrub(text: string): string {
    let out = text.replace(/(\w+:\/\/)[^/@\s]*@/g, '$1');
    for (const secret of this.#secrets) out = out.split(secret).join('***');
    return out;
  }
}

/**
 * The default mirror dir for `url`: `<tmp>/gitmesh-remote-cache-<uid>/<host-path>-<hash>`, one per
 * repository (credentials are not part of the name), private to the user.
 */
export function defaultMirrorDir(url: string, root: string = join(tmpdir(), `gitmesh-remote-cache-${process.getuid?.() ?? 'user'}`)): string {
  const clean = splitCredentials(url).url;
  const slug = clean.replace(/^\w+:\/\//, '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60);
  return join(root, `${slug}-${createHash('sha256').update(clean).digest('hex').slice(0, 12)}`);
}

/** `url` without user name and password, for messages and logs. Not a URL: returned as `<invalid URL>`. */
export function redactUrl(url: string): string {
  try {
    return splitCredentials(url).url;
  } catch {
    return '<invalid URL>';
  }
}

/** `raw` without credentials, and the credentials it carried (null when none). Throws TypeError for a non-http(s) or malformed URL. */
export function splitCredentials(raw: string): { url: string; credentials: { username: string; password: string } | null } {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new TypeError('the remote is not a valid URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new TypeError(`the remote must be an http(s) URL, not ${parsed.protocol}`);
  const credentials = parsed.username || parsed.password ? { username: decodeURIComponent(parsed.username), password: decodeURIComponent(parsed.password) } : null;
  parsed.username = '';
  parsed.password = '';
  return { url: parsed.toString().replace(/\/+$/, ''), credentials };
}

/** GITMESH_GIT_TOKEN as basic-auth credentials: `USER:PASSWORD` as is, a bare token as the password of `x-access-token`. */
export function tokenCredentials(token: string): { username: string; password: string } {
  const colon = token.indexOf(':');
  return colon > 0 ? { username: token.slice(0, colon), password: token.slice(colon + 1) } : { username: 'x-access-token', password: token };
}

/** Resolves a short name the way git does (exact, refs/, tags, then branches). */
function pickRef(refs: readonly ServerRef[], ref: string): ServerRef | undefined {
  const byName = new Map(refs.map((r) => [r.ref, r]));
  for (const name of [ref, `refs/${ref}`, `refs/tags/${ref}`, `refs/heads/${ref}`]) {
    const found = byName.get(name);
    if (found) return found;
  }
  return undefined;
}

async function packSizes(gitdir: string): Promise<Map<string, number>> {
  const dir = join(gitdir, 'objects', 'pack');
  const names = await readdir(dir).catch(() => [] as string[]);
  const sizes = new Map<string, number>();
  for (const name of names) if (name.endsWith('.pack')) sizes.set(name, (await stat(join(dir, name)).catch(() => ({ size: 0 }))).size);
  return sizes;
}

function newPackBytes(before: Map<string, number>, after: Map<string, number>): number {
  let total = 0;
  for (const [name, size] of after) if (!before.has(name)) total += size;
  return total;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function firstLine(text: string): string {
  return text.trim().split('\n', 1)[0]!.slice(0, 200);
}

/**
 * Wraps the HTTP client: counts requests and body bytes, and bounds the whole fetch by `signal`
 * (isomorphic-git's fetch takes no signal of its own). Bodies of non-200 answers are read here,
 * up to ERROR_BODY_LIMIT: isomorphic-git 1.44 leaves some unread (the 401 before an onAuth retry;
 * a failed POST's, read by a promise nobody awaits), and after an unread 401 we saw a later
 * connection drop by the server surface as an uncaught "socket hang up" that ends the process.
 */
export function meteredHttp(inner: HttpClient, meter: { bytes: number; requests: number }, signal: AbortSignal): HttpClient {
  return {
    async request(request: GitHttpRequest): Promise<GitHttpResponse> {
      meter.requests++;
      const response = await abortable(inner.request({ ...request, signal }), signal);
      if (!response.body) return response;
      const body = meteredBody(response.body, meter, signal);
      if (response.statusCode === 200) return { ...response, body };
      return { ...response, body: single(await collectUpTo(body, ERROR_BODY_LIMIT)) };
    },
  };
}

function meteredBody(body: AsyncIterableIterator<Uint8Array>, meter: { bytes: number }, signal: AbortSignal): AsyncIterableIterator<Uint8Array> {
  const iterator = body[Symbol.asyncIterator]();
  const wrapped: AsyncIterableIterator<Uint8Array> = {
    async next() {
      try {
        const result = await abortable(iterator.next(), signal);
        if (!result.done && result.value) meter.bytes += result.value.byteLength;
        return result;
      } catch (error) {
        void Promise.resolve(iterator.return?.()).catch(() => {});
        throw error;
      }
    },
    async return(value?: unknown) {
      await Promise.resolve(iterator.return?.()).catch(() => {});
      return { done: true, value };
    },
    [Symbol.asyncIterator]() {
      return wrapped;
    },
  };
  return wrapped;
}

async function collectUpTo(body: AsyncIterableIterator<Uint8Array>, limit: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { value, done } = await body.next();
    if (value) {
      chunks.push(value);
      size += value.byteLength;
    }
    if (done) break;
    if (size > limit) {
      await body.return?.();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, limit);
}

function single(bytes: Uint8Array): AsyncIterableIterator<Uint8Array> {
  let sent = false;
  const iterator: AsyncIterableIterator<Uint8Array> = {
    next: () => {
      if (sent) return Promise.resolve({ done: true, value: undefined });
      sent = true;
      return Promise.resolve({ done: false, value: bytes });
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

/** `promise`, or a rejection as soon as `signal` aborts (the loser's later settling is ignored). */
function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
