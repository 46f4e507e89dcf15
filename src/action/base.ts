// The plan's base commit in the checkout: resolved from git objects, fetched from `origin` once when a shallow checkout lacks it.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { gitdirOf, RefNotFoundError, resolveCommit } from '../source/git.js';

/** Runs the git CLI in `cwd`; never throws (a missing binary is `ok: false`). */
export type GitCli = (args: readonly string[], cwd: string) => Promise<{ ok: boolean; stdout: string; stderr: string }>;

/** The git CLI of the machine, with prompts off (a fetch that needs credentials it lacks fails at once) and a time limit. */
export function gitCli(env: Readonly<Record<string, string | undefined>>, timeoutMs = 120_000): GitCli {
  return (args, cwd) =>
    new Promise((resolve) => {
      execFile('git', [...args], { cwd, timeout: timeoutMs, env: { ...env, GIT_TERMINAL_PROMPT: '0' }, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
        resolve({ ok: error === null, stdout: String(stdout), stderr: String(stderr) || (error?.message ?? '') }),
      );
    });
}

/** The base commit, or why there is none (said in the summary; never a failure). */
export type BaseCommit = { readonly commit: string; readonly fetched: boolean } | { readonly missing: string };

/** A ref the action passes to `git fetch`: no option look-alikes, no refspec syntax. */
const SAFE_REF = /^(?!-)[A-Za-z0-9._/-]+$/;

function firstLine(text: string): string {
  return text.trim().split('\n').filter(Boolean).at(-1) ?? '';
}

/**
 * Resolves `ref` (a commit id, a branch, a tag, `origin/main`) in the repository at `dir`.
 * When the checkout lacks it (actions/checkout fetches one commit by default), asks `origin`
 * for it once with `git fetch --no-tags` (`--depth=1` in a shallow repository, so the clone
 * stays shallow), using the credentials the checkout left in the repository's config. Returns
 * `missing` with the reason when it still cannot be read.
 */
export async function resolveBase(options: { dir: string; ref: string; git: GitCli }): Promise<BaseCommit> {
  const { dir, ref, git } = options;
  try {
    return { commit: await resolveCommit(dir, ref), fetched: false };
  } catch (error) {
    if (!(error instanceof RefNotFoundError)) throw error;
  }
  if (!SAFE_REF.test(ref)) return { missing: `the base ${JSON.stringify(ref)} is not in the checkout, and is not a ref that can be fetched` };
  const shallow = existsSync(join(gitdirOf(dir), 'shallow'));
  const fetched = await git(['fetch', '--no-tags', '--quiet', ...(shallow ? ['--depth=1'] : []), 'origin', ref], dir);
  if (!fetched.ok) {
    return { missing: `the base ${ref.slice(0, 40)} is not in the checkout, and fetching it from origin failed (${firstLine(fetched.stderr) || 'no message'}); check out with \`fetch-depth: 0\`` };
  }
  const head = await git(['rev-parse', '--verify', '--quiet', 'FETCH_HEAD^{commit}'], dir);
  const commit = head.ok ? head.stdout.trim() : ref;
  try {
    return { commit: await resolveCommit(dir, commit), fetched: true };
  } catch (error) {
    if (!(error instanceof RefNotFoundError)) throw error;
    return { missing: `the base ${ref.slice(0, 40)} is not in the checkout, even after fetching it from origin; check out with \`fetch-depth: 0\`` };
  }
}
