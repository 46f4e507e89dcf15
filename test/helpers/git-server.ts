// A real Git server for tests: `git http-backend` (smart HTTP) behind a node HTTP server, with pushes by the git CLI.
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** The environment every git process of the helper runs with: no user or system config, never a prompt. */
function gitEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: tmpdir(),
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    LANG: 'C',
    ...extra,
  };
}

/**
 * Runs the git CLI asynchronously (never execFileSync: the server answering it runs in this
 * same process and must keep its event loop free). Returns trimmed stdout.
 */
export async function git(cwd: string, args: readonly string[], env: Record<string, string> = {}): Promise<string> {
  try {
    const { stdout } = await execFileAsync('git', [...args], { cwd, env: gitEnv(env), maxBuffer: 64 * 1024 * 1024 });
    return stdout.trim();
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(`git ${args.join(' ')} failed in ${cwd}: ${stderr ?? String(error)}`);
  }
}

/** One request the server answered: what the assertions about incremental fetches count. */
export interface ServedRequest {
  readonly method: string;
  /** The path below the server root, e.g. `/policies.git/git-upload-pack`. */
  readonly path: string;
  readonly status: number;
  /** Response body bytes sent (for an upload-pack POST: the pack and its side-band framing). */
  readonly bytesOut: number;
  /** Request body bytes received. */
  readonly bytesIn: number;
  /** Whether the request carried an Authorization header. */
  readonly authorized: boolean;
}

/** How the server is unavailable: connections refused (the listener is closed), or 503 answers. */
export type DownMode = 'refuse' | '503';

/** A test Git server; every repository lives under `root` and is served at `url/NAME.git`. */
export interface GitServer {
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  readonly url: string;
  /** GIT_PROJECT_ROOT: the folder holding the bare repositories. */
  readonly root: string;
  /** Every request answered since start or the last `resetLog()`, in order. */
  readonly log: readonly ServedRequest[];
  resetLog(): void;
  /** Requires `token` (as the password of HTTP basic auth, any user name; or a Bearer token) on every request; null lifts it. */
  requireToken(token: string | null): void;
  /** Takes the server down: 'refuse' closes the listener and drops open connections; '503' answers 503. */
  down(mode?: DownMode): Promise<void>;
  /** Brings the server back on the same port. */
  up(): Promise<void>;
  /** Creates a bare repository NAME.git (pushes enabled) and a work clone of it with its own identity. */
  createRepo(name: string, options?: { defaultBranch?: string }): Promise<WorkClone>;
  close(): Promise<void>;
}

/** A work clone of a served repository: write files, commit, tag and push with the git CLI. */
export interface WorkClone {
  /** The work tree. */
  readonly dir: string;
  /** The bare repository on disk (what http-backend serves). */
  readonly bare: string;
  /** The repository's URL, without credentials. */
  readonly url: string;
  /** Runs git in the work tree. */
  git(...args: string[]): Promise<string>;
  /**
   * Writes `files` (path → content; null deletes the file), commits everything with `message` and
   * returns the new commit id. `date` (e.g. `2024-05-06T07:08:09+02:00`) fixes author and committer dates.
   */
  commit(files: Record<string, string | Uint8Array | null>, message: string, options?: { date?: string }): Promise<string>;
  /** Pushes over HTTP (with the server's token, if one is required): HEAD to `branch` (default: the default branch). */
  push(options?: { branch?: string; force?: boolean; tags?: boolean }): Promise<void>;
  /** Tags HEAD (annotated when `message` is given) and pushes the tag; `force` moves an existing tag. */
  tag(name: string, message?: string, options?: { force?: boolean }): Promise<void>;
  /** Deletes `branch` on the server. */
  deleteBranch(branch: string): Promise<void>;
}

/**
 * Starts a Git server on 127.0.0.1 (a free port). It runs `git http-backend` as a CGI for each
 * request (GIT_PROJECT_ROOT, GIT_HTTP_EXPORT_ALL, PATH_INFO, ...), passing the request body
 * through as it arrives (http-backend inflates `Content-Encoding: gzip` itself).
 */
export async function startGitServer(): Promise<GitServer> {
  const base = await mkdtemp(join(tmpdir(), 'gitmesh-git-server-'));
  const root = join(base, 'repos');
  const clones = join(base, 'clones');
  await mkdir(root);
  await mkdir(clones);
  let token: string | null = null;
  let mode: 'up' | DownMode = 'up';
  const log: ServedRequest[] = [];

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let bytesIn = 0;
    let bytesOut = 0;
    req.on('data', (chunk: Buffer) => void (bytesIn += chunk.length));
    const write = res.write.bind(res);
    res.write = ((chunk: Buffer | string, ...rest: unknown[]) => {
      bytesOut += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof res.write;
    const end = res.end.bind(res);
    res.end = ((...args: unknown[]) => {
      const chunk = args[0];
      if (typeof chunk === 'string') bytesOut += Buffer.byteLength(chunk);
      else if (chunk instanceof Uint8Array) bytesOut += chunk.length;
      return (end as (...a: unknown[]) => ServerResponse)(...args);
    }) as typeof res.end;
    const authorization = req.headers.authorization;
    res.on('finish', () =>
      log.push({ method: req.method ?? 'GET', path: url.pathname, status: res.statusCode, bytesOut, bytesIn, authorized: authorization !== undefined }),
    );
    if (mode === '503') {
      req.resume();
      res.writeHead(503, { 'Content-Type': 'text/plain', 'Retry-After': '1' }).end('down for maintenance\n');
      return;
    }
    if (token !== null && !authorizes(authorization, token)) {
      req.resume();
      res.writeHead(401, { 'Content-Type': 'text/plain', 'WWW-Authenticate': 'Basic realm="gitmesh-test"' }).end('authentication required\n');
      return;
    }
    runBackend(req, res, url, root);
  };

  const server: Server = createServer(handler);
  await listen(server, 0);
  const port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  let current = server;

  const withToken = (repoUrl: string) => {
    if (token === null) return repoUrl;
    const parsed = new URL(repoUrl);
    parsed.username = 'x-access-token';
    parsed.password = token;
    return parsed.toString();
  };

  return {
    url: origin,
    root,
    log,
    resetLog: () => void log.splice(0),
    requireToken: (value) => void (token = value),
    async down(how: DownMode = 'refuse') {
      if (mode !== 'up') throw new Error('the server is already down');
      mode = how;
      if (how === 'refuse') await stop(current);
    },
    async up() {
      if (mode === 'refuse') {
        current = createServer(handler);
        await listen(current, port);
      }
      mode = 'up';
    },
    async createRepo(name, options = {}) {
      const branch = options.defaultBranch ?? 'main';
      const bare = join(root, `${name}.git`);
      await git(root, ['init', '-q', '--bare', '-b', branch, bare]);
      await git(bare, ['config', 'http.receivepack', 'true']);
      // No uploadpack.allowReachableSHA1InWant needed: over stateless HTTP, upload-pack already
      // serves any commit reachable from a ref by its id (as GitHub and GitLab do).
      const dir = join(clones, name);
      await git(clones, ['init', '-q', '-b', branch, dir]);
      await git(dir, ['config', 'user.name', 'Test Author']);
      await git(dir, ['config', 'user.email', 'author@example.test']);
      await git(dir, ['config', 'commit.gpgsign', 'false']);
      const repoUrl = `${origin}/${name}.git`;
      await git(dir, ['remote', 'add', 'origin', repoUrl]);
      const run = (...args: string[]) => git(dir, args);
      return {
        dir,
        bare,
        url: repoUrl,
        git: run,
        async commit(files, message, commitOptions = {}) {
          for (const [path, content] of Object.entries(files)) {
            const target = join(dir, path);
            if (content === null) await rm(target, { force: true });
            else {
              await mkdir(dirname(target), { recursive: true });
              await writeFile(target, content);
            }
          }
          await run('add', '-A');
          const dates: Record<string, string> = commitOptions.date ? { GIT_AUTHOR_DATE: commitOptions.date, GIT_COMMITTER_DATE: commitOptions.date } : {};
          await git(dir, ['commit', '-q', '--allow-empty', '-m', message], dates);
          return run('rev-parse', 'HEAD');
        },
        async push(pushOptions = {}) {
          const args = ['push', '-q', withToken(repoUrl), `HEAD:refs/heads/${pushOptions.branch ?? branch}`];
          if (pushOptions.force) args.push('--force');
          if (pushOptions.tags) args.push('--tags');
          await run(...args);
        },
        async tag(tagName, message, tagOptions = {}) {
          const force = tagOptions.force ? ['-f'] : [];
          await run('tag', ...force, ...(message !== undefined ? ['-a', '-m', message] : []), tagName);
          await run('push', '-q', ...force, withToken(repoUrl), `refs/tags/${tagName}`);
        },
        async deleteBranch(name) {
          await run('push', '-q', withToken(repoUrl), `:refs/heads/${name}`);
        },
      };
    },
    async close() {
      if (mode !== 'refuse') await stop(current);
      await rm(base, { recursive: true, force: true });
    },
  };
}

function authorizes(header: string | undefined, token: string): boolean {
  if (!header) return false;
  const [scheme, value = ''] = header.split(' ', 2);
  if (scheme?.toLowerCase() === 'bearer') return value === token;
  if (scheme?.toLowerCase() !== 'basic') return false;
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  return decoded.slice(decoded.indexOf(':') + 1) === token;
}

/** Runs `git http-backend` for one request (RFC 3875 CGI) and relays its answer. */
function runBackend(req: IncomingMessage, res: ServerResponse, url: URL, root: string): void {
  const header = (name: string) => {
    const value = req.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  };
  const cgi: Record<string, string> = {
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: '1',
    GATEWAY_INTERFACE: 'CGI/1.1',
    REQUEST_METHOD: req.method ?? 'GET',
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.replace(/^\?/, ''),
    REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    REMOTE_USER: 'test',
    SERVER_PROTOCOL: `HTTP/${req.httpVersion}`,
  };
  const optional: [string, string | undefined][] = [
    ['CONTENT_TYPE', header('content-type')],
    ['CONTENT_LENGTH', header('content-length')],
    ['HTTP_CONTENT_ENCODING', header('content-encoding')],
    ['GIT_PROTOCOL', header('git-protocol')],
  ];
  for (const [name, value] of optional) if (value !== undefined) cgi[name] = value;
  const child = spawn('git', ['http-backend'], { env: gitEnv(cgi), stdio: ['pipe', 'pipe', 'pipe'] });
  req.pipe(child.stdin);
  child.stdin.on('error', () => {}); // the backend may answer (an error) before it read the whole body
  let head = Buffer.alloc(0);
  let headersDone = false;
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => {
    if (headersDone) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n') >= 0 ? head.indexOf('\r\n\r\n') : head.indexOf('\n\n');
    if (end < 0) return;
    const separator = head.indexOf('\r\n\r\n') >= 0 ? 4 : 2;
    let status = 200;
    const headers: Record<string, string> = {};
    for (const line of head.subarray(0, end).toString('latin1').split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon < 0) continue;
      const name = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
      else headers[name] = value;
    }
    headersDone = true;
    res.writeHead(status, headers);
    const rest = head.subarray(end + separator);
    if (rest.length > 0) res.write(rest);
  });
  child.on('close', (code) => {
    if (!headersDone) {
      res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`git http-backend exited with ${code}: ${stderr}`);
      return;
    }
    res.end();
  });
  child.on('error', (error) => {
    if (!res.headersSent) res.writeHead(500).end(String(error));
  });
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function stop(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
