// The one pull-request comment that carries the plan: found by a hidden marker, created once, then edited in place (GitHub REST).

/** What became of the comment; only `created`, `updated` and `unchanged` wrote (or kept) it. */
export type CommentResult =
  | { readonly status: 'created' | 'updated' | 'unchanged'; readonly id: number; readonly url: string }
  /** Nothing to say and no comment yet: none is made. */
  | { readonly status: 'skipped' }
  /** The token may not write (a fork's pull request, `pull-requests: read`): 403, or 404 for a repository it cannot see. */
  | { readonly status: 'forbidden'; readonly reason: string }
  /** Anything else (the API down, a bad answer): said in the log and the summary, never a failed check. */
  | { readonly status: 'failed'; readonly reason: string };

/** Where the comment goes, with what, and what it says. */
export interface CommentOptions {
  /** `GITHUB_API_URL` (https://api.github.com, or a GitHub Enterprise Server's `/api/v3`). */
  readonly apiUrl: string;
  readonly token: string;
  /** `owner/name`. */
  readonly repository: string;
  readonly issue: number;
  /** The hidden line that tells gitmesh's comment from the others; the body must contain it. */
  readonly marker: string;
  readonly body: string;
  /** When false, a comment is made only if one exists already (it is then updated). */
  readonly create: boolean;
  readonly fetch?: typeof fetch;
  /** Per request (default 30 s). */
  readonly timeoutMs?: number;
}

/** Pages of 100 comments read at most while looking for ours (a pull request with 3,000 comments is not plausible). */
const MAX_PAGES = 30;

class HttpStatusError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Makes the pull request's gitmesh comment say `body`: edits the first comment whose body holds
 * `marker` (left alone when it already says it), or posts a new one (when `create`). Uses
 * GET /repos/{repo}/issues/{n}/comments, PATCH /repos/{repo}/issues/comments/{id} and
 * POST /repos/{repo}/issues/{n}/comments. Never throws: HTTP and network failures are results.
 */
export async function upsertComment(options: CommentOptions): Promise<CommentResult> {
  const { apiUrl, token, repository, issue, marker, body } = options;
  const doFetch = options.fetch ?? fetch;
  const base = apiUrl.replace(/\/+$/, '');
  const call = async (method: 'GET' | 'POST' | 'PATCH', path: string, payload?: unknown): Promise<unknown> => {
    const response = await doFetch(`${base}${path}`, {
      method,
      headers: {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${token}`,
        'x-github-api-version': '2022-11-28',
        'user-agent': 'gitmesh-action',
        ...(payload !== undefined && { 'content-type': 'application/json' }),
      },
      ...(payload !== undefined && { body: JSON.stringify(payload) }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
    const text = await response.text();
    if (!response.ok) {
      let message = text.slice(0, 200);
      try {
        message = String((JSON.parse(text) as { message?: unknown }).message ?? message);
      } catch {
        // not JSON: keep the start of the text
      }
      throw new HttpStatusError(response.status, `${method} ${path}: HTTP ${response.status}${message ? ` ${message}` : ''}`);
    }
    return text ? JSON.parse(text) : null;
  };
  const [owner, name] = repository.split('/');
  const repo = `/repos/${encodeURIComponent(owner ?? '')}/${encodeURIComponent(name ?? '')}`;
  try {
    let existing: { id: number; body: string; html_url: string } | undefined;
    for (let page = 1; page <= MAX_PAGES && !existing; page++) {
      const comments = (await call('GET', `${repo}/issues/${issue}/comments?per_page=100&page=${page}`)) as { id: number; body?: string | null; html_url: string }[];
      if (!Array.isArray(comments)) throw new Error(`GET ${repo}/issues/${issue}/comments: not a list`);
      const found = comments.find((c) => typeof c.body === 'string' && c.body.includes(marker));
      if (found) existing = { id: found.id, body: found.body ?? '', html_url: found.html_url };
      if (comments.length < 100) break;
    }
    if (existing) {
      if (existing.body === body) return { status: 'unchanged', id: existing.id, url: existing.html_url };
      const updated = (await call('PATCH', `${repo}/issues/comments/${existing.id}`, { body })) as { id: number; html_url: string };
      return { status: 'updated', id: updated.id, url: updated.html_url };
    }
    if (!options.create) return { status: 'skipped' };
    const created = (await call('POST', `${repo}/issues/${issue}/comments`, { body })) as { id: number; html_url: string };
    return { status: 'created', id: created.id, url: created.html_url };
  } catch (error) {
    if (error instanceof HttpStatusError && (error.status === 403 || error.status === 404)) return { status: 'forbidden', reason: error.message };
    return { status: 'failed', reason: (error as Error).message };
  }
}
