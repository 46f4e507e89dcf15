// The effects a command may use, injected so tests run commands in-process.

export interface CliIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Whether stdout is a terminal (colors on). */
  readonly isTty: boolean;
}

/** The process's own streams and environment. */
export function processIo(): CliIo {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    isTty: Boolean(process.stdout.isTTY) && !process.env.NO_COLOR,
  };
}

/** Exit codes shared by every command (DESIGN.md §5). */
export const EXIT = { ok: 0, invalid: 1, usage: 2, changes: 3 } as const;

/** A usage problem found after parsing (a bad flag value): exit 2 with the message. */
export class UsageError extends Error {}

/** Parses a byte size: `4194304`, `512KiB`, `4MiB`, `1GiB` (also KB/MB/GB as powers of 1024). */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(b|kib|kb|k|mib|mb|m|gib|gb|g)?$/i.exec(text.trim());
  if (!match) throw new UsageError(`${JSON.stringify(text)} is not a size; write e.g. 4194304, 512KiB or 4MiB`);
  const unit = (match[2] ?? 'b').toLowerCase()[0]!;
  const factor = unit === 'k' ? 1024 : unit === 'm' ? 1024 ** 2 : unit === 'g' ? 1024 ** 3 : 1;
  return Math.floor(Number(match[1]) * factor);
}
