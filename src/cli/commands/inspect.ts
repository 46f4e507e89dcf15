// `gitmesh inspect MESH.NAME --repo SRC [--ref REF]`: which policies match a proxy and why.
import { Command, Option } from 'commander';
import { EXIT, type CliIo } from '../io.js';
import { repoOptions, type RepoOptions } from './repo-options.js';

export function inspectCommand(io: CliIo, setExit: (code: number) => void): Command {
  return repoOptions(new Command('inspect'))
    .description('show, per inbound and outbound of a proxy, the policies that matched, the entries merged and what won')
    .argument('<proxy>', 'the node id MESH.NAME')
    .addOption(new Option('--flavour <flavour>', 'compile as this flavour instead of the Dataplane\'s own').choices(['envoy', 'grpc']))
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (proxyId: string, options: RepoOptions & { format: 'text' | 'json'; flavour?: 'envoy' | 'grpc' }) => {
      // Loaded on use: `validate` and `--help` need none of compile, protobuf or git.
      const { compileProxy, findDataplane } = await import('../../compile/compile.js');
      const { renderInspectText } = await import('../format/inspect.js');
      const { readDesired } = await import('./desired.js');
      const desired = await readDesired(io, options);
      if ('exit' in desired) return setExit(desired.exit);
      const found = findDataplane(desired.contexts, proxyId);
      if (!found) {
        io.stderr(`gitmesh: no Dataplane ${proxyId} in ${options.repo}${desired.commit ? ` at ${desired.commit.slice(0, 12)}` : ''} (node ids are MESH.NAME)\n`);
        return setExit(EXIT.invalid);
      }
      const { resolved, notes } = compileProxy(found.ctx, found.dataplane, options.flavour ? { flavour: options.flavour } : {});
      io.stdout(options.format === 'json' ? JSON.stringify({ proxy: proxyId, commit: desired.commit, resolved, notes }, null, 2) + '\n' : renderInspectText({ resolved, notes, commit: desired.commit }));
      setExit(EXIT.ok);
    });
}
