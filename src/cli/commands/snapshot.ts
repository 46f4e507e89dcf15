// `gitmesh snapshot --repo SRC [--ref REF] --proxy MESH.NAME`: the compiled xDS of one proxy at one commit.
import { Command, Option } from 'commander';
import { EXIT, type CliIo } from '../io.js';
import { repoOptions, type RepoOptions } from './repo-options.js';

interface SnapshotOptions extends RepoOptions {
  proxy: string;
  flavour?: 'envoy' | 'grpc';
  format: 'text' | 'json';
}

export function snapshotCommand(io: CliIo, setExit: (code: number) => void): Command {
  return repoOptions(new Command('snapshot'))
    .description('print the xDS one proxy gets at one commit, decoded from the bytes gitmesh would send')
    .addOption(new Option('--proxy <id>', 'the node id MESH.NAME').env('GITMESH_PROXY').makeOptionMandatory())
    .addOption(new Option('--flavour <flavour>', 'envoy sidecar or proxyless grpc (default: the Dataplane\'s gitmesh.io/proxyless label)').choices(['envoy', 'grpc']))
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (options: SnapshotOptions) => {
      // Loaded on use: `validate` and `--help` need none of compile, protobuf or git.
      const { compileProxy, findDataplane } = await import('../../compile/compile.js');
      const { checkConsistent, EncodeCache, makeSnapshot, snapshotJson } = await import('../../xds/snapshot.js');
      const { PUSH_ORDER, RESOURCE_KEYS } = await import('../../xds/type-urls.js');
      const { renderDiagnostics } = await import('../../core/format-diagnostics.js');
      const { readDesired } = await import('./desired.js');
      const desired = await readDesired(io, options);
      if ('exit' in desired) return setExit(desired.exit);
      const found = findDataplane(desired.contexts, options.proxy);
      if (!found) {
        io.stderr(`gitmesh: no Dataplane ${options.proxy} in ${options.repo}${desired.commit ? ` at ${desired.commit.slice(0, 12)}` : ''} (node ids are MESH.NAME)\n`);
        return setExit(EXIT.invalid);
      }
      const compiled = compileProxy(found.ctx, found.dataplane, options.flavour ? { flavour: options.flavour } : {});
      const snapshot = makeSnapshot(compiled.xds, new EncodeCache());
      const inconsistent = checkConsistent(snapshot, { proxy: options.proxy });
      if (inconsistent.length > 0) {
        io.stderr(renderDiagnostics('text', { diagnostics: inconsistent, summary: { ...desired.validation.summary, errors: inconsistent.length, warnings: 0 } }));
        return setExit(EXIT.invalid);
      }
      const flavour = compiled.resolved.proxy.flavour;
      if (options.format === 'json') {
        const { versions, resources } = snapshotJson(snapshot);
        const notes = compiled.notes.map(({ code, kind, message }) => ({ code, kind, message }));
        io.stdout(JSON.stringify({ proxy: options.proxy, flavour, commit: desired.commit, versions, resources, notes }, null, 2) + '\n');
      } else {
        const lines = [`${options.proxy} (${flavour})${desired.commit ? ` at ${desired.commit.slice(0, 12)}` : ''}`];
        for (const type of PUSH_ORDER) {
          const list = snapshot.resources[type];
          lines.push(`${RESOURCE_KEYS[type]}  version ${snapshot.versions[type]}`);
          if (list.length === 0) lines.push('  (none)');
          for (const r of list) lines.push(`  ${r.name}  ${r.bytes.length} bytes`);
        }
        for (const note of compiled.notes) lines.push(`${note.code} ${note.kind}: ${note.message}`);
        io.stdout(lines.join('\n') + '\n');
      }
      setExit(EXIT.ok);
    });
}
