// `gitmesh serve --repo SRC [--ref REF] [--path DIR] [--xds-port 5678]`: serve the compiled xDS over ADS until stopped.
import { Command, Option } from 'commander';
import { EXIT, UsageError, type CliIo } from '../io.js';
import { repoOptions, type RepoOptions } from './repo-options.js';

interface ServeCommandOptions extends RepoOptions {
  xdsPort: string;
  host: string;
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
    .description('compile every Dataplane of SRC and serve it to Envoy and proxyless gRPC over ADS (SotW) until SIGINT/SIGTERM')
    .addOption(new Option('--xds-port <port>', 'ADS (gRPC) port; 0 picks a free one').env('GITMESH_XDS_PORT').default('5678'))
    .addOption(new Option('--host <address>', 'address to bind').env('GITMESH_HOST').default('127.0.0.1'))
    .action(async (options: ServeCommandOptions) => {
      const xdsPort = Number(options.xdsPort);
      if (!Number.isInteger(xdsPort) || xdsPort < 0 || xdsPort > 65535) throw new UsageError(`--xds-port ${JSON.stringify(options.xdsPort)} is not a port (0-65535)`);
      // Loaded on use: `validate` and `--help` need none of compile, protobuf, grpc or git.
      const { startServing, ServeValidationError } = await import('../../reconcile/serve.js');
      const { renderDiagnostics } = await import('../format/diagnostics.js');
      let serving;
      try {
        serving = await startServing({
          repo: options.repo,
          cwd: io.cwd,
          xdsPort,
          host: options.host,
          ...(options.ref !== undefined && { ref: options.ref }),
          ...(options.path !== undefined && { path: options.path }),
        });
      } catch (error) {
        if (error instanceof ServeValidationError) {
          const errors = error.diagnostics.length;
          io.stderr(renderDiagnostics('text', { diagnostics: [...error.diagnostics], summary: { files: 0, resources: 0, errors, warnings: 0, suppressed: 0 }, color: false }));
          io.stderr(`gitmesh: ${error.message}\n`);
          return setExit(EXIT.invalid);
        }
        throw error;
      }
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
          `gitmesh: serving ${current.proxies.length} proxies from ${options.repo}${current.commit ? ` at ${current.commit.slice(0, 12)}` : ''}`,
          `xDS (ADS, SotW, insecure) on ${serving.address}`,
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
