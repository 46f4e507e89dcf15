// The GitHub Actions runner protocol, without @actions/core: INPUT_* variables in, workflow commands on stdout, outputs and the job summary to the files the runner names.
import { appendFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';

/** What the action may do to the runner; tests give a fake one or a real one over temp files. */
export interface Runner {
  /** An input as action.yml names it (`fail-on`), trimmed; '' when not set. */
  input(name: string): string;
  /** Prints one line; the runner reads workflow commands (`::error …::`) in it. */
  log(line: string): void;
  /**
   * Prints text that may hold anything a pull request wrote (messages quote YAML): the runner
   * ignores workflow commands in it (`::stop-commands::TOKEN` … `::TOKEN::`).
   */
  logVerbatim(text: string): void;
  /** Sets a step output (`$GITHUB_OUTPUT`). */
  setOutput(name: string, value: string): void;
  /** Appends Markdown to the job summary (`$GITHUB_STEP_SUMMARY`). */
  appendSummary(markdown: string): void;
}

/**
 * The variable the runner sets for an input: `INPUT_` and the name upper-cased with spaces as
 * `_`; hyphens stay (`fail-on` → `INPUT_FAIL-ON`), as the runner and @actions/core do.
 */
export function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

/**
 * The runner of this process: `env` (process.env on a runner) for inputs and file paths,
 * `write` for stdout. Without `GITHUB_OUTPUT` or `GITHUB_STEP_SUMMARY` (a run outside Actions)
 * outputs and the summary are printed as log lines instead. Files are appended to, never
 * replaced: other steps' lines stay.
 */
export function processRunner(options: { env: Readonly<Record<string, string | undefined>>; write: (text: string) => void; token?: () => string }): Runner {
  const { env, write } = options;
  const token = options.token ?? (() => `gitmesh-${randomUUID()}`);
  return {
    input: (name) => (env[inputVariable(name)] ?? '').trim(),
    log: (line) => write(`${line}\n`),
    logVerbatim: (text) => {
      if (text === '') return;
      const stop = token();
      write(`::stop-commands::${stop}\n${text.endsWith('\n') ? text : `${text}\n`}::${stop}::\n`);
    },
    setOutput: (name, value) => {
      const file = env.GITHUB_OUTPUT;
      if (!file) return write(`output ${name}=${value}\n`);
      // The heredoc form takes any value; the delimiter is random so no value can end it early.
      const delimiter = `ghadelimiter_${randomUUID()}`;
      appendFileSync(file, `${name}<<${delimiter}\n${value}\n${delimiter}\n`);
    },
    appendSummary: (markdown) => {
      const file = env.GITHUB_STEP_SUMMARY;
      if (!file) return write('(no GITHUB_STEP_SUMMARY: the job summary is not written)\n');
      appendFileSync(file, markdown);
    },
  };
}
