// The upstream Envoy/xds/googleapis protos shipped in @grpc/grpc-js-xds, and a checker of protos/ against them.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import protobuf from 'protobufjs';

const require = createRequire(import.meta.url);
const DEPS = join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');

/**
 * The include folders of the upstream protos, in protoc `-I` order; the last one is protobufjs's
 * own, which holds google/protobuf/descriptor.proto (the other well-known types are bundled).
 */
export const UPSTREAM_INCLUDE_DIRS: readonly string[] = [
  ...['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((dir) => join(DEPS, dir)),
  dirname(require.resolve('protobufjs/package.json')),
];

/**
 * A protobufjs Root (keepCase) holding the upstream definitions of `files` (paths relative to an
 * include folder) and everything they import. `substitutes` maps a relative path grpc-js-xds does
 * not ship to the file to read instead; nothing else falls back, so a file of ours without an
 * upstream counterpart fails to load. google/protobuf/* comes from protobufjs's bundled copies.
 */
export function loadUpstreamRoot(files: readonly string[], substitutes: Readonly<Record<string, string>> = {}): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    for (const dir of UPSTREAM_INCLUDE_DIRS) {
      const path = join(dir, target);
      if (existsSync(path)) return path;
    }
    return substitutes[target] ?? target; // a bare google/protobuf/*.proto is served bundled by name
  };
  root.loadSync([...files], { keepCase: true });
  root.resolveAll();
  return root;
}

/** How a field reads for the comparison: number, type, label, oneof. */
function fieldShape(field: protobuf.Field): string {
  const type = field.resolvedType ? field.resolvedType.fullName.slice(1) : field.type;
  const label = field.map ? `map<${(field as unknown as protobuf.MapField).keyType}, ${type}>` : field.repeated ? `repeated ${type}` : field.options?.['proto3_optional'] ? `optional ${type}` : type;
  const oneof = field.partOf && !field.options?.['proto3_optional'] ? ` in oneof ${field.partOf.name}` : '';
  return `${label} = ${field.id}${oneof}`;
}

/**
 * Every difference between the definitions in `ours` and `upstream`, as readable lines; empty
 * when every message, field, enum value and RPC method of `ours` exists upstream with the same
 * full name, field number, resolved type, repeated/map-ness, oneof membership, enum numbers and
 * request/response types. Upstream may hold more. `skip` leaves out objects by full name.
 */
export function compareWithUpstream(ours: protobuf.Root, upstream: protobuf.Root, skip: (fullName: string) => boolean = () => false): string[] {
  const problems: string[] = [];
  const find = (fullName: string): protobuf.ReflectionObject | undefined => {
    const found = upstream.lookup(fullName);
    return found && found.fullName === fullName ? found : undefined; // exact names only
  };
  const visit = (object: protobuf.ReflectionObject): void => {
    const name = object.fullName.slice(1);
    if (!skip(name)) {
      const theirs = find(object.fullName);
      if (object instanceof protobuf.Type) {
        if (!(theirs instanceof protobuf.Type)) problems.push(`message ${name}: not upstream`);
        else {
          for (const field of object.fieldsArray) {
            const other = theirs.fields[field.name];
            if (!other) problems.push(`${name}.${field.name}: no such field upstream`);
            else if (fieldShape(field) !== fieldShape(other)) problems.push(`${name}.${field.name}: ours ${fieldShape(field)}, upstream ${fieldShape(other)}`);
          }
        }
      } else if (object instanceof protobuf.Enum) {
        if (!(theirs instanceof protobuf.Enum)) problems.push(`enum ${name}: not upstream`);
        else {
          for (const [value, number] of Object.entries(object.values)) {
            if (theirs.values[value] !== number) problems.push(`${name}.${value}: ours ${number}, upstream ${theirs.values[value] ?? 'absent'}`);
          }
        }
      } else if (object instanceof protobuf.Service) {
        if (!(theirs instanceof protobuf.Service)) problems.push(`service ${name}: not upstream`);
        else {
          for (const method of object.methodsArray) {
            const other = theirs.methods[method.name];
            const shape = (m: protobuf.Method) => {
              m.resolve();
              return `${m.requestStream ? 'stream ' : ''}${m.resolvedRequestType?.fullName} → ${m.responseStream ? 'stream ' : ''}${m.resolvedResponseType?.fullName}`;
            };
            if (!other) problems.push(`${name}.${method.name}: no such method upstream`);
            else if (shape(method) !== shape(other)) problems.push(`${name}.${method.name}: ours ${shape(method)}, upstream ${shape(other)}`);
          }
        }
      }
    }
    if (object instanceof protobuf.Namespace) for (const nested of object.nestedArray) visit(nested);
  };
  for (const nested of ours.nestedArray) visit(nested);
  return problems;
}

/** How many messages, enums, fields and services `root` defines (well-known types excluded). */
export function countDefinitions(root: protobuf.Root): { messages: number; enums: number; fields: number; services: number } {
  const counts = { messages: 0, enums: 0, fields: 0, services: 0 };
  const visit = (object: protobuf.ReflectionObject): void => {
    if (object.fullName.startsWith('.google.protobuf.')) return;
    if (object instanceof protobuf.Type) {
      counts.messages++;
      counts.fields += object.fieldsArray.length;
    } else if (object instanceof protobuf.Enum) counts.enums++;
    else if (object instanceof protobuf.Service) counts.services++;
    if (object instanceof protobuf.Namespace) for (const nested of object.nestedArray) visit(nested);
  };
  for (const nested of root.nestedArray) visit(nested);
  return counts;
}
