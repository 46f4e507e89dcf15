// `gitmesh serve --repo SRC [--ref REF] [--path DIR] [--xds-port 5678]`: serve the compiled xDS over ADS until stopped.
import { Command, Option } from 'commander';
import { parseDuration } from '../../core/duration.js';
import { EXIT, UsageError, type CliIo } from '../io.js';
import { repoOptions, type RepoOptions } from './repo-options.js';

interface ServeCommandOptions extends RepoOptions {
  xdsPort: string;
  host: string;
  stateDir?: string;
  poll: string;
  watch: boolean;
  httpPort: string;
  webhookSecretFile?: string;
  nackThreshold: string;
  rollbackCommit?: boolean;
  verifySignatures?: boolean;
  trustedKeys?: string;
}

/** The webhook secret from a file (trailing newline dropped); a missing file is a usage error. */
async function readSecret(file: string): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  try {
    return (await readFile(file, 'utf8')).replace(/\r?\n$/, '');
  } catch (error) {
    throw new UsageError(`--webhook-secret-file ${file}: ${(error as Error).message}`);
  }
}

/** Resolves once SIGINT or SIGTERM arrives (the default for `serve`'s wait). */
function untilSignal(): Promise<string> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

/** `wait` decides when to stop (tests inject one); by default SIGINT/SIGTERM. */
export function serveCommand(io: CliIo, setExit: (code: number) => void, wait: () => Promise<string> = untilSignal): Command {
  return repoOptions(new Command('serve'))
    .description('follow SRC: compile every Dataplane of each new revision and serve it to Envoy and proxyless gRPC over ADS (SotW and Delta) until SIGINT/SIGTERM')
    .addOption(new Option('--xds-port <port>', 'ADS (gRPC) port; 0 picks a free one').env('GITMESH_XDS_PORT').default('5678'))
    .addOption(new Option('--host <address>', 'address to bind').env('GITMESH_HOST').default('127.0.0.1'))
    .addOption(new Option('--http-port <port>', 'admin HTTP port (health, metrics, status API, webhook); 0 picks a free one').env('GITMESH_HTTP_PORT').default('5680'))
    .addOption(new Option('--webhook-secret-file <file>', 'the webhook secret (else GITMESH_WEBHOOK_SECRET; without one, POST /webhook answers 404)').env('GITMESH_WEBHOOK_SECRET_FILE'))
    .addOption(new Option('--state-dir <dir>', 'keep the applied log and the last good snapshot here; a restart serves it at once').env('GITMESH_STATE_DIR'))
    .addOption(new Option('--poll <duration>', 'fetch this often (0: never)').env('GITMESH_POLL').default('60s'))
    .addOption(new Option('--no-watch', 'do not watch a local folder or repository for changes').env('GITMESH_NO_WATCH'))
    .addOption(new Option('--nack-threshold <n>', 'roll a revision back when this many proxies NACK it (0: never)').env('GITMESH_NACK_THRESHOLD').default('1'))
    .addOption(new Option('--rollback-commit', 'after a NACK rollback, also commit (and push) the revision served, so git stays the truth').env('GITMESH_ROLLBACK_COMMIT'))
    .addOption(new Option('--verify-signatures', 'refuse commits not signed by a key of --trusted-keys').env('GITMESH_VERIFY_SIGNATURES'))
    .addOption(new Option('--trusted-keys <file>', 'ASCII-armored OpenPGP public keys (for --verify-signatures)').env('GITMESH_TRUSTED_KEYS'))
    .action(async (options: ServeCommandOptions) => {
      const xdsPort = Number(options.xdsPort);
      if (!Number.isInteger(xdsPort) || xdsPort < 0 || xdsPort > 65535) throw new UsageError(`--xds-port ${JSON.stringify(options.xdsPort)} is not a port (0-65535)`);
      const httpPort = Number(options.httpPort);
      if (!Number.isInteger(httpPort) || httpPort < 0 || httpPort > 65535) throw new UsageError(`--http-port ${JSON.stringify(options.httpPort)} is not a port (0-65535)`);
      const pollMs = parseDuration(options.poll);
      if (pollMs === undefined) throw new UsageError(`--poll ${JSON.stringify(options.poll)} is not a duration (e.g. 60s, 5m; 0 turns polling off)`);
      const nackThreshold = Number(options.nackThreshold);
      if (!Number.isInteger(nackThreshold) || nackThreshold < 0) throw new UsageError(`--nack-threshold ${JSON.stringify(options.nackThreshold)} is not a count (0 or more)`);
      if (options.verifySignatures && options.trustedKeys === undefined) throw new UsageError('--verify-signatures needs --trusted-keys FILE');
      const trustedKeys = options.verifySignatures ? await (await import('../../source/signatures.js')).loadTrustedKeys(options.trustedKeys!) : undefined;
      const webhookSecret = options.webhookSecretFile !== undefined ? await readSecret(options.webhookSecretFile) : io.env.GITMESH_WEBHOOK_SECRET;
      // Loaded on use: `validate` and `--help` need none of compile, protobuf, grpc or git.
      const { startServing } = await import('../../reconcile/serve.js');
      const { createLogger } = await import('../../core/log.js');
      const log = createLogger({ env: io.env, destination: { write: (line: string) => io.stderr(line) }, isTty: io.isTty });
      const serving = await startServing({
        repo: options.repo,
        cwd: io.cwd,
        xdsPort,
        host: options.host,
        httpPort,
        pollMs,
        watch: options.watch,
        log,
        nackThreshold,
        ...(options.rollbackCommit && { rollbackCommit: true }),
        ...(trustedKeys && { trustedKeys }),
        ...(webhookSecret && { webhookSecret }),
        ...(io.env.GITMESH_GIT_TOKEN && { gitToken: io.env.GITMESH_GIT_TOKEN }),
        ...(options.stateDir !== undefined && { stateDir: options.stateDir }),
        ...(options.ref !== undefined && { ref: options.ref }),
        ...(options.path !== undefined && { path: options.path }),
      });
      const { current } = serving;
      const dialHost = options.host === '0.0.0.0' || options.host === '::' ? '127.0.0.1' : options.host;
      const serverUri = `${dialHost.includes(':') ? `[${dialHost}]` : dialHost}:${serving.port}`;
      const example = current.proxyless[0] ?? current.proxies[0] ?? 'MESH.NAME';
      const bootstrap = {
        xds_servers: [{ server_uri: serverUri, channel_creds: [{ type: 'insecure' }], server_features: [] }],
        node: { id: example, locality: {} },
      };
      io.stdout(
        [
          serving.reconciler.ready()
            ? `gitmesh: serving ${current.proxies.length} proxies from ${options.repo}${current.commit ? ` at ${current.commit.slice(0, 12)}` : ''}`
            : `gitmesh: nothing to serve yet from ${options.repo}; the ADS port is open and waits for a valid revision`,
          `xDS (ADS, SotW and Delta, insecure) on ${serving.address}`,
          `admin HTTP on http://${serving.admin?.address ?? '(none)'}: /healthz /readyz /metrics /api/v1/status /api/v1/proxies /api/v1/snapshot${webhookSecret ? ', POST /webhook' : ''}`,
          ...(current.warnings.length > 0 ? [`${current.warnings.length} warning(s) (run gitmesh validate to see them)`] : []),
          `proxies: ${current.proxies.join(', ') || '(none)'}`,
          'Envoy: node.id MESH.NAME, an ADS cluster pointing at the address above.',
          `gRPC (proxyless): set node.id to MESH.NAME and dial xds:///SERVICE, with`,
          `  GRPC_XDS_BOOTSTRAP_CONFIG='${JSON.stringify(bootstrap)}'`,
          '',
        ].join('\n'),
      );
      const signal = await wait();
      await serving.close();
      io.stderr(`gitmesh: ${signal}, stopped\n`);
      setExit(EXIT.ok);
    });
}
