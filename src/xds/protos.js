// Loads the xDS definitions in protos/ once (protobufjs, snake_case names) and finds types by type URL.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { messageNameOf } from './type-urls.js';
/**
 * The well-known types loaded even when no file of ours imports them, so that an Any can carry
 * any of them. protobufjs serves these from its bundled copies, not from disk.
 */
const WELL_KNOWN = ['any', 'duration', 'empty', 'struct', 'timestamp', 'wrappers'].map((name) => `google/protobuf/${name}.proto`);
/**
 * The protos/ folder of the gitmesh package: the nearest folder above this module holding both
 * package.json and protos/, so it is found the same from src/ (tsx) and dist/ (node), whatever
 * the working directory. Throws when there is none (a broken install).
 */
export function protosDir() {
    let dir = dirname(fileURLToPath(import.meta.url));
    for (;;) {
        const candidate = join(dir, 'protos');
        if (existsSync(join(dir, 'package.json')) && existsSync(candidate) && statSync(candidate).isDirectory())
            return candidate;
        const parent = dirname(dir);
        if (parent === dir)
            throw new Error(`gitmesh: no protos/ folder above ${fileURLToPath(import.meta.url)}`);
        dir = parent;
    }
}
/** Every .proto file under `dir`, as paths relative to it with `/` separators, sorted. */
export function protoFiles(dir) {
    const out = [];
    const walk = (at) => {
        for (const name of readdirSync(at)) {
            const path = join(at, name);
            if (statSync(path).isDirectory())
                walk(path);
            else if (name.endsWith('.proto'))
                out.push(relative(dir, path).split(sep).join('/'));
        }
    };
    walk(dir);
    return out.sort();
}
/**
 * A new protobufjs Root holding every .proto under `dir` (default: protos/), plus the
 * well-known types, with `keepCase` so field names stay snake_case as in Envoy's JSON. Reads
 * the files synchronously; throws on a parse error or an unresolvable type.
 */
export function loadProtos(dir = protosDir()) {
    const root = new protobuf.Root();
    // Every path (ours and imports) is relative to dir; google/protobuf/* is served bundled, by name.
    root.resolvePath = (_origin, target) => join(dir, target);
    root.loadSync([...protoFiles(dir), ...WELL_KNOWN], { keepCase: true });
    root.resolveAll();
    return root;
}
let shared;
/**
 * The Root of protos/, loaded on first use and shared afterwards: the only I/O of the xds
 * encoding, done once per process. Callers must not modify it.
 */
export function protoRoot() {
    shared ??= loadProtos();
    return shared;
}
/**
 * The message type a type URL (`type.googleapis.com/envoy.config.cluster.v3.Cluster`) or a
 * fully qualified name names, or undefined when protos/ does not define it.
 */
export function findMessageType(typeUrlOrName, root = protoRoot()) {
    const name = messageNameOf(typeUrlOrName);
    const found = root.lookup(`.${name}`);
    // protobufjs also finds a type by a partial name deeper in the tree: insist on the full name.
    return found instanceof protobuf.Type && found.fullName === `.${name}` ? found : undefined;
}
