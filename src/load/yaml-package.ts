// The yaml package, loaded when a file first needs it: a repository read wholly the fast way never does.
import { createRequire } from 'node:module';

/** The yaml package's run-time API. */
export type YamlPackage = typeof import('yaml');

let loaded: YamlPackage | undefined;

/**
 * The yaml package, loaded on the first call. It is CommonJS under Node, so it loads
 * synchronously here; loading it costs about 40 ms of a cold start, which a run whose files all
 * go the fast way (fast.ts) and need no position never pays.
 */
export function yamlPackage(): YamlPackage {
  return (loaded ??= createRequire(import.meta.url)('yaml') as YamlPackage);
}
