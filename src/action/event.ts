// The workflow event the action runs for: the pull request's number, base and head, and whether it comes from a fork.
import { readFileSync } from 'node:fs';

/** The pull request of a `pull_request` or `pull_request_target` event, as the action uses it. */
export interface PullRequest {
  readonly number: number;
  /** The base branch's commit when the event fired: the plan's base. */
  readonly baseSha: string;
  /** The base branch name (`main`). */
  readonly baseRef: string;
  readonly headSha: string;
  /** The head branch name. */
  readonly headRef: string;
  /** `owner/name` of the repository the pull request is in (the base). */
  readonly repository: string;
  /**
   * Whether the head is in another repository (or one since deleted): on a `pull_request`
   * event the token is then read-only, so no comment can be written.
   */
  readonly fork: boolean;
}

/** What the action reads from `GITHUB_EVENT_PATH` and `GITHUB_EVENT_NAME`. */
export interface WorkflowEvent {
  readonly name: string;
  /** null for an event without a pull request (push, workflow_dispatch), or a payload that lacks one. */
  readonly pullRequest: PullRequest | null;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function field(value: unknown, ...path: string[]): unknown {
  let at = value;
  for (const key of path) at = at !== null && typeof at === 'object' ? (at as Record<string, unknown>)[key] : undefined;
  return at;
}

/**
 * Reads the event payload. A missing or unreadable file (a run outside Actions) and a payload
 * without a pull request give `pullRequest: null`; nothing here throws.
 */
export function readEvent(env: Readonly<Record<string, string | undefined>>): WorkflowEvent {
  const name = env.GITHUB_EVENT_NAME ?? '';
  let payload: unknown = null;
  if (env.GITHUB_EVENT_PATH) {
    try {
      payload = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8'));
    } catch {
      payload = null;
    }
  }
  return { name, pullRequest: pullRequestOf(payload, env.GITHUB_REPOSITORY) };
}

/** The pull request of a payload, or null when it has none with a number and a base commit. */
export function pullRequestOf(payload: unknown, repositoryVariable?: string): PullRequest | null {
  const pr = field(payload, 'pull_request');
  const number = field(pr, 'number');
  const baseSha = text(field(pr, 'base', 'sha'));
  if (typeof number !== 'number' || !Number.isInteger(number) || baseSha === undefined) return null;
  const repository = text(field(pr, 'base', 'repo', 'full_name')) ?? text(field(payload, 'repository', 'full_name')) ?? repositoryVariable ?? '';
  const headRepository = text(field(pr, 'head', 'repo', 'full_name'));
  return {
    number,
    baseSha,
    baseRef: text(field(pr, 'base', 'ref')) ?? '',
    headSha: text(field(pr, 'head', 'sha')) ?? '',
    headRef: text(field(pr, 'head', 'ref')) ?? '',
    repository,
    fork: headRepository === undefined || headRepository.toLowerCase() !== repository.toLowerCase(),
  };
}
