#!/usr/bin/env node
// The `gitmesh` command: commander wiring only; each command lives in commands/.
import { Command, CommanderError } from 'commander';
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GitmeshError } from '../core/errors.js';
import { VERSION } from '../core/version.js';
import { historyCommand } from './commands/history.js';
import { inspectCommand } from './commands/inspect.js';
import { planCommand } from './commands/plan.js';
import { rollbackCommand } from './commands/rollback.js';
import { serveCommand } from './commands/serve.js';
import { snapshotCommand } from './commands/snapshot.js';
import { validateCommand } from './commands/validate.js';
import { EXIT, processIo, UsageError, type CliIo } from './io.js';

export { VERSION };

/** Runs the CLI with `args` (without node and script) and returns the exit code; never throws. */
export async function runCli(args: readonly string[], io: CliIo = processIo()): Promise<number> {
  let exitCode: number = EXIT.ok;
  const setExit = (code: number) => void (exitCode = code);
  const program = new Command('gitmesh')
    .description('GitOps control plane for a Kuma-style service mesh')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run with --help for usage)');
  program.addCommand(validateCommand(io, setExit, VERSION));
  program.addCommand(planCommand(io, setExit));
  program.addCommand(snapshotCommand(io, setExit));
  program.addCommand(inspectCommand(io, setExit));
  program.addCommand(serveCommand(io, setExit));
  program.addCommand(historyCommand(io, setExit));
  program.addCommand(rollbackCommand(io, setExit));
  for (const command of program.commands) command.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: io.stderr });
  const restoreEnv = io.env === process.env ? () => {} : overlayEnv(io.env);
  try {
    await program.parseAsync([...args], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof UsageError) {
      io.stderr(`gitmesh: ${error.message}\n`);
      return EXIT.usage;
    }
    if (error instanceof GitmeshError) {
      io.stderr(`gitmesh: ${error.message}\n`);
      return EXIT.usage;
    }
    io.stderr(`gitmesh: internal error (a bug; please report it): ${(error as Error)?.stack ?? String(error)}\n`);
    return EXIT.usage;
  } finally {
    restoreEnv();
  }
}

/**
 * Commander reads flag env twins from process.env; an injected environment (tests, embedding)
 * replaces the GITMESH_* variables there for the duration of one run.
 */
function overlayEnv(env: Readonly<Record<string, string | undefined>>): () => void {
  const saved = Object.entries(process.env).filter(([key]) => key.startsWith('GITMESH_'));
  for (const [key] of saved) delete process.env[key];
  for (const [key, value] of Object.entries(env)) if (key.startsWith('GITMESH_') && value !== undefined) process.env[key] = value;
  return () => {
    for (const key of Object.keys(process.env)) if (key.startsWith('GITMESH_')) delete process.env[key];
    for (const [key, value] of saved) process.env[key] = value;
  };
}

const invokedDirectly = process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) process.exitCode = await runCli(process.argv.slice(2));
