// xDS resources between Envoy's proto3 JSON (as config_dump prints it) and protobuf bytes: strict, deterministic, pure.
//
// The JSON side is the proto3 JSON mapping with the .proto field names (snake_case), as the
// compiler writes resources and `snapshot --format json` prints them:
// - an Any is `{"@type": URL, ...fields}`, or `{"@type": URL, "value": V}` when the packed type
//   has a JSON form of its own (the well-known types below);
// - Duration is "7s" / "1.5s" / "-0.25s"; decoding prints the fewest fractional digits
//   (protobuf's own printer pads to 3, 6 or 9; both forms encode alike);
// - Timestamp is RFC 3339 ("2024-05-01T10:00:00.5Z"), decoded in UTC with the fewest digits;
// - wrappers (DoubleValue … BytesValue) are bare values; Struct is an object, ListValue an
//   array, Value any JSON value;
// - enums are names (numbers are accepted), bytes are base64 (standard or URL-safe on input);
// - 64-bit integers are decimal strings when decoded, strings or safe integers on input;
// - fields with their type's default value and no presence are omitted, as proto3 does;
// - `null` stands for an absent field (except where a google.protobuf.Value is expected).
//
// Anything else is a compiler bug and throws XdsCodecError naming the field path: an unknown
// field, a value of the wrong type, two members of one oneof, an unknown enum name or @type.
//
// Bytes are canonical: fields in field-number order, map entries by key (code-unit order),
// defaults omitted, so equal JSON gives identical bytes whatever the key order of its objects.
import protobuf from 'protobufjs';
import { GitmeshError } from '../core/errors.js';
import { findMessageType, protoRoot } from './protos.js';

/** A JSON object standing for one protobuf message, as decodeResource returns it. */
export type XdsJsonObject = { [field: string]: unknown };

/**
 * A resource could not be encoded or decoded: a bug in what produced it (the compiler, for
 * encoding), never a user error; nothing to retry. `path` is the field path inside the
 * resource (`filter_chains[0].filters[0].typed_config.http_filters[2].name`), `typeName` the
 * resource's message type.
 */
export class XdsCodecError extends GitmeshError {
  readonly typeName: string;
  readonly path: string;
  constructor(typeName: string, path: string, problem: string, options?: { cause?: unknown }) {
    super('XdsCodec', `${typeName}${path ? ` at ${path}` : ''}: ${problem}`, { typeName, path }, options);
    this.typeName = typeName;
    this.path = path;
  }
}

/**
 * Encodes one resource, given in proto3 JSON, as the message `typeUrl` names
 * (`type.googleapis.com/envoy.config.cluster.v3.Cluster`). A top-level `@type`, if present,
 * must equal `typeUrl`. Pure and deterministic (see the module comment); the only I/O is the
 * one-time load of protos/. Throws XdsCodecError on anything protos/ does not allow.
 */
export function encodeResource(typeUrl: string, json: unknown): Uint8Array {
  const type = messageType(typeUrl, typeUrl);
  const ctx: Ctx = { root: type.root, resource: typeName(type) };
  let body = json;
  if (isPlainObject(json) && '@type' in json) {
    if (json['@type'] !== typeUrl) throw new XdsCodecError(ctx.resource, '@type', `is ${JSON.stringify(json['@type'])}, expected ${JSON.stringify(typeUrl)}`);
    const { '@type': _omit, ...rest } = json;
    body = rest;
  }
  return encodeToBytes(ctx, type, body, '');
}

/**
 * Decodes one resource of type `typeUrl` into the canonical proto3 JSON described in the
 * module comment (no top-level `@type`): decodeResource(u, encodeResource(u, j)) equals j when
 * j is canonical. Pure. Throws XdsCodecError when the bytes do not parse, or hold an Any of a
 * type protos/ does not define. Unknown fields in the bytes are skipped.
 */
export function decodeResource(typeUrl: string, bytes: Uint8Array): XdsJsonObject {
  const type = messageType(typeUrl, typeUrl);
  const ctx: Ctx = { root: type.root, resource: typeName(type) };
  const json = decodeToJson(ctx, type, bytes, '');
  if (!isPlainObject(json)) throw new XdsCodecError(ctx.resource, '', `has a JSON form of its own and is not a resource`);
  return json;
}

// ---------------------------------------------------------------------------------------------
// Reflection, cached per type.

interface Ctx {
  readonly root: protobuf.Root;
  /** The resource's type name, for error messages. */
  readonly resource: string;
}

type Scalar = 'double' | 'float' | 'int32' | 'uint32' | 'sint32' | 'fixed32' | 'sfixed32' | 'int64' | 'uint64' | 'sint64' | 'fixed64' | 'sfixed64' | 'bool' | 'string' | 'bytes';

interface FieldInfo {
  readonly name: string;
  readonly id: number;
  /** Set for message fields (and map values of message type). */
  readonly message: protobuf.Type | undefined;
  /** Set for enum fields (and map values of enum type). */
  readonly enumType: protobuf.Enum | undefined;
  /** The scalar type of scalar and enum fields ('int32' for enums); unused for messages. */
  readonly scalar: Scalar;
  readonly repeated: boolean;
  readonly map: boolean;
  readonly keyType: Scalar;
  /** Written even when it holds the default value: oneof members and proto3 `optional`. */
  readonly presence: boolean;
  readonly oneof: string | undefined;
  readonly packed: boolean;
}

interface TypeInfo {
  readonly byName: ReadonlyMap<string, FieldInfo>;
  /** By field number: the order fields are written in. */
  readonly byId: readonly FieldInfo[];
  /** In declaration order: the order decoded JSON lists them in. */
  readonly declared: readonly FieldInfo[];
}

const SCALARS = new Set<string>(['double', 'float', 'int32', 'uint32', 'sint32', 'fixed32', 'sfixed32', 'int64', 'uint64', 'sint64', 'fixed64', 'sfixed64', 'bool', 'string', 'bytes']);
const WIRE: Readonly<Record<Scalar, number>> = { double: 1, float: 5, int32: 0, uint32: 0, sint32: 0, fixed32: 5, sfixed32: 5, int64: 0, uint64: 0, sint64: 0, fixed64: 1, sfixed64: 1, bool: 0, string: 2, bytes: 2 };
const infos = new WeakMap<protobuf.Type, TypeInfo>();

function typeInfo(type: protobuf.Type): TypeInfo {
  let info = infos.get(type);
  if (info) return info;
  const declared = type.fieldsArray.map((field): FieldInfo => {
    field.resolve();
    const resolved = field.resolvedType;
    const scalar = resolved instanceof protobuf.Enum ? 'int32' : field.type;
    const keyType = field instanceof protobuf.MapField ? field.keyType : 'string';
    const synthetic = field.options?.['proto3_optional'] === true;
    return {
      name: field.name,
      id: field.id,
      message: resolved instanceof protobuf.Type ? resolved : undefined,
      enumType: resolved instanceof protobuf.Enum ? resolved : undefined,
      scalar: (SCALARS.has(scalar) ? scalar : 'bytes') as Scalar,
      repeated: field.repeated,
      map: field.map,
      keyType: keyType as Scalar,
      presence: field.partOf !== null || synthetic,
      oneof: field.partOf && !synthetic ? field.partOf.name : undefined,
      packed: field.repeated && !field.map && !(resolved instanceof protobuf.Type) && field.packed && WIRE[scalar as Scalar] !== 2,
    };
  });
  info = { byName: new Map(declared.map((f) => [f.name, f])), byId: [...declared].sort((a, b) => a.id - b.id), declared };
  infos.set(type, info);
  return info;
}

function messageType(typeUrl: string, resource: string, root?: protobuf.Root, path = ''): protobuf.Type {
  const type = findMessageType(typeUrl, root ?? protoRoot());
  if (!type) throw new XdsCodecError(resource, path, `no message type for ${JSON.stringify(typeUrl)} in protos/`);
  return type;
}

function typeName(type: protobuf.ReflectionObject): string {
  return type.fullName.slice(1);
}

function isPlainObject(value: unknown): value is XdsJsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function child(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Uint8Array) return 'bytes';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

// ---------------------------------------------------------------------------------------------
// Encoding.

function encodeToBytes(ctx: Ctx, type: protobuf.Type, json: unknown, path: string): Uint8Array {
  const writer = protobuf.Writer.create();
  writeMessage(ctx, type, json, writer, path);
  return new Uint8Array(writer.finish()); // a copy, not a view of protobufjs's shared buffer pool
}

function writeMessage(ctx: Ctx, type: protobuf.Type, json: unknown, w: protobuf.Writer, path: string): void {
  const special = SPECIAL.get(type.fullName);
  const raw = special ? special.toRaw(ctx, json, path) : json;
  if (!isPlainObject(raw)) throw new XdsCodecError(ctx.resource, path, `expected an object for ${typeName(type)}, got ${describe(raw)}`);
  const info = typeInfo(type);
  const oneofs = new Map<string, string>();
  for (const key of Object.keys(raw)) {
    const value = raw[key];
    if (value === undefined) continue;
    const field = info.byName.get(key);
    if (!field) throw new XdsCodecError(ctx.resource, child(path, key), `unknown field "${key}" in ${typeName(type)}`);
    if (field.oneof && !(value === null && nullIsAbsent(field))) {
      const other = oneofs.get(field.oneof);
      if (other) throw new XdsCodecError(ctx.resource, child(path, key), `"${other}" and "${key}" are both set, but are members of oneof ${field.oneof}`);
      oneofs.set(field.oneof, key);
    }
  }
  for (const field of info.byId) {
    const value = raw[field.name];
    if (value === undefined || (value === null && nullIsAbsent(field))) continue;
    writeField(ctx, field, value, w, child(path, field.name));
  }
}

/** proto3 JSON: null means "not set", except for a google.protobuf.Value, where it is the null value. */
function nullIsAbsent(field: FieldInfo): boolean {
  return field.map || field.repeated || field.message?.fullName !== '.google.protobuf.Value';
}

function writeField(ctx: Ctx, field: FieldInfo, value: unknown, w: protobuf.Writer, path: string): void {
  if (field.map) {
    if (!isPlainObject(value)) throw new XdsCodecError(ctx.resource, path, `expected an object (a map), got ${describe(value)}`);
    for (const key of Object.keys(value).sort()) {
      const entry = value[key];
      if (entry === undefined) continue;
      const at = `${path}[${JSON.stringify(key)}]`;
      w.uint32(tag(field.id, 2)).fork();
      writeScalar(w, 1, field.keyType, mapKey(ctx, field.keyType, key, at));
      writeValue(ctx, field, entry, w, at, 2, true);
      w.ldelim();
    }
  } else if (field.repeated) {
    if (!Array.isArray(value)) throw new XdsCodecError(ctx.resource, path, `expected an array, got ${describe(value)}`);
    if (value.length === 0) return;
    if (field.packed) {
      w.uint32(tag(field.id, 2)).fork();
      value.forEach((item, index) => writeRaw(w, field.scalar, scalarValue(ctx, field, item, `${path}[${index}]`)));
      w.ldelim();
    } else {
      value.forEach((item, index) => writeValue(ctx, field, item, w, `${path}[${index}]`, field.id, true));
    }
  } else {
    writeValue(ctx, field, value, w, path, field.id, field.presence);
  }
}

/** Writes one value of `field`'s type as field number `id`; a scalar equal to its default only when `always`. */
function writeValue(ctx: Ctx, field: FieldInfo, value: unknown, w: protobuf.Writer, path: string, id: number, always: boolean): void {
  if (value === null && field.message?.fullName !== '.google.protobuf.Value') {
    throw new XdsCodecError(ctx.resource, path, 'null is not allowed here');
  }
  if (field.message) {
    w.uint32(tag(id, 2)).fork();
    writeMessage(ctx, field.message, value, w, path);
    w.ldelim();
    return;
  }
  const converted = scalarValue(ctx, field, value, path);
  if (!always && isDefault(converted)) return;
  writeScalar(w, id, field.scalar, converted);
}

type Converted = number | boolean | string | Uint8Array | protobuf.Long;

function tag(id: number, wire: number): number {
  return ((id << 3) | wire) >>> 0;
}

function writeScalar(w: protobuf.Writer, id: number, scalar: Scalar, value: Converted): void {
  w.uint32(tag(id, WIRE[scalar]));
  writeRaw(w, scalar, value);
}

function writeRaw(w: protobuf.Writer, scalar: Scalar, value: Converted): void {
  switch (scalar) {
    case 'double': w.double(value as number); break;
    case 'float': w.float(value as number); break;
    case 'int32': w.int32(value as number); break;
    case 'uint32': w.uint32(value as number); break;
    case 'sint32': w.sint32(value as number); break;
    case 'fixed32': w.fixed32(value as number); break;
    case 'sfixed32': w.sfixed32(value as number); break;
    case 'int64': w.int64(value as protobuf.Long); break;
    case 'uint64': w.uint64(value as protobuf.Long); break;
    case 'sint64': w.sint64(value as protobuf.Long); break;
    case 'fixed64': w.fixed64(value as protobuf.Long); break;
    case 'sfixed64': w.sfixed64(value as protobuf.Long); break;
    case 'bool': w.bool(value as boolean); break;
    case 'string': w.string(value as string); break;
    case 'bytes': w.bytes(value as Uint8Array); break;
  }
}

function isDefault(value: Converted): boolean {
  if (typeof value === 'number') return Object.is(value, 0);
  if (typeof value === 'boolean') return !value;
  if (typeof value === 'string') return value === '';
  if (value instanceof Uint8Array) return value.length === 0;
  return value.low === 0 && value.high === 0;
}

const INT_RANGE: Readonly<Partial<Record<Scalar, readonly [bigint, bigint]>>> = {
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  sint32: [-(2n ** 31n), 2n ** 31n - 1n],
  sfixed32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  fixed32: [0n, 2n ** 32n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  sint64: [-(2n ** 63n), 2n ** 63n - 1n],
  sfixed64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  fixed64: [0n, 2n ** 64n - 1n],
};

/** A JSON value of `field`'s scalar or enum type, converted for the protobufjs Writer. */
function scalarValue(ctx: Ctx, field: FieldInfo, value: unknown, path: string): Converted {
  const fail = (expected: string): never => {
    throw new XdsCodecError(ctx.resource, path, `expected ${expected}, got ${describe(value)}`);
  };
  if (field.enumType) {
    const values = field.enumType.values;
    const names = Object.keys(values);
    const expected = `a name of enum ${typeName(field.enumType)} (${names.slice(0, 8).join(', ')}${names.length > 8 ? ', …' : ''})`;
    if (typeof value === 'string') {
      const number = Object.prototype.hasOwnProperty.call(values, value) ? values[value] : undefined;
      return number ?? fail(expected);
    }
    if (typeof value === 'number' && Number.isInteger(value) && field.enumType.valuesById[value] !== undefined) return value;
    return fail(expected);
  }
  switch (field.scalar) {
    case 'double':
    case 'float':
      if (typeof value === 'number') return value;
      if (value === 'NaN') return NaN;
      if (value === 'Infinity') return Infinity;
      if (value === '-Infinity') return -Infinity;
      if (typeof value === 'string' && /^-?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(value)) return Number(value);
      return fail('a number');
    case 'bool':
      return typeof value === 'boolean' ? value : fail('true or false');
    case 'string':
      return typeof value === 'string' ? value : fail('a string');
    case 'bytes':
      if (value instanceof Uint8Array) return value;
      if (typeof value === 'string' && /^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) return new Uint8Array(Buffer.from(value, 'base64'));
      return fail('base64 bytes');
    default: {
      const [min, max] = INT_RANGE[field.scalar]!;
      const wide = field.scalar.endsWith('64');
      let big: bigint | undefined;
      if (typeof value === 'number' && Number.isSafeInteger(value)) big = BigInt(value);
      else if (typeof value === 'string' && /^-?\d+$/.test(value)) big = BigInt(value);
      const what = `a ${field.scalar} (${wide ? 'a decimal string or a safe integer' : 'an integer'})`;
      if (big === undefined) return fail(what);
      if (big < min || big > max) return fail(`${what} in [${min}, ${max}]`);
      return wide ? longOf(big) : Number(big);
    }
  }
}

function longOf(value: bigint): protobuf.Long {
  const bits = BigInt.asUintN(64, value);
  return { low: Number(bits & 0xffffffffn) | 0, high: Number(bits >> 32n) | 0, unsigned: false };
}

function mapKey(ctx: Ctx, keyType: Scalar, key: string, path: string): Converted {
  if (keyType === 'string') return key;
  if (keyType === 'bool') {
    if (key === 'true' || key === 'false') return key === 'true';
    throw new XdsCodecError(ctx.resource, path, `map key must be "true" or "false"`);
  }
  const keyField = { scalar: keyType, enumType: undefined } as FieldInfo;
  return scalarValue(ctx, keyField, key, path);
}

// ---------------------------------------------------------------------------------------------
// Decoding.

function decodeToJson(ctx: Ctx, type: protobuf.Type, bytes: Uint8Array, path: string): unknown {
  let message: protobuf.Message;
  try {
    message = type.decode(bytes);
  } catch (error) {
    throw new XdsCodecError(ctx.resource, path, `bytes do not parse as ${typeName(type)}: ${(error as Error).message}`, { cause: error });
  }
  return messageJson(ctx, type, message as unknown as XdsJsonObject, path);
}

function has(message: XdsJsonObject, name: string): boolean {
  return Object.prototype.hasOwnProperty.call(message, name) && message[name] !== null && message[name] !== undefined;
}

function messageJson(ctx: Ctx, type: protobuf.Type, message: XdsJsonObject, path: string): unknown {
  const special = SPECIAL.get(type.fullName);
  if (special) return special.toJson(ctx, message, path);
  const info = typeInfo(type);
  // A oneof whose members came more than once on the wire keeps the last one read, as protobuf does.
  const keys = Object.keys(message);
  const chosen = new Map<string, string>();
  for (const field of info.declared) {
    if (!field.oneof || !has(message, field.name)) continue;
    const current = chosen.get(field.oneof);
    if (current === undefined || keys.indexOf(field.name) > keys.indexOf(current)) chosen.set(field.oneof, field.name);
  }
  const out: XdsJsonObject = {};
  for (const field of info.declared) {
    const value = message[field.name];
    const at = child(path, field.name);
    if (field.map) {
      // protobufjs keys a decoded map by the key's string form: exact for string keys, which
      // every map in protos/ has (a 64-bit key would come back as protobufjs's hash string).
      const entries = value as XdsJsonObject | undefined;
      const mapKeys = entries ? Object.keys(entries).sort() : [];
      if (mapKeys.length === 0) continue;
      out[field.name] = Object.fromEntries(mapKeys.map((key) => [key, valueJson(ctx, field, entries![key], `${at}[${JSON.stringify(key)}]`)]));
    } else if (field.repeated) {
      const items = value as unknown[] | undefined;
      if (!items || items.length === 0) continue;
      out[field.name] = items.map((item, index) => valueJson(ctx, field, item, `${at}[${index}]`));
    } else {
      if (!has(message, field.name)) continue;
      if (field.oneof && chosen.get(field.oneof) !== field.name) continue;
      if (!field.message && !field.presence && isDefaultDecoded(value)) continue;
      out[field.name] = valueJson(ctx, field, value, at);
    }
  }
  return out;
}

/** Whether a decoded scalar or enum number is its type's default, which proto3 JSON leaves out. */
function isDefaultDecoded(value: unknown): boolean {
  if (typeof value === 'number') return Object.is(value, 0);
  if (typeof value === 'boolean') return !value;
  if (typeof value === 'string') return value === '';
  if (value instanceof Uint8Array) return value.length === 0;
  const long = value as protobuf.Long;
  return long.low === 0 && long.high === 0;
}

function valueJson(ctx: Ctx, field: FieldInfo, value: unknown, path: string): unknown {
  if (field.message) return messageJson(ctx, field.message, value as XdsJsonObject, path);
  if (field.enumType) return field.enumType.valuesById[value as number] ?? value;
  return scalarJson(field.scalar, value);
}

function scalarJson(scalar: Scalar, value: unknown): unknown {
  switch (scalar) {
    case 'int64':
    case 'sint64':
    case 'sfixed64':
      return BigInt.asIntN(64, bigOf(value)).toString();
    case 'uint64':
    case 'fixed64':
      return BigInt.asUintN(64, bigOf(value)).toString();
    case 'double':
    case 'float': {
      const number = value as number;
      if (Number.isNaN(number)) return 'NaN';
      if (number === Infinity) return 'Infinity';
      if (number === -Infinity) return '-Infinity';
      return scalar === 'float' ? shortestFloat32(number) : number;
    }
    case 'bytes':
      return Buffer.from(value as Uint8Array).toString('base64');
    default:
      return value;
  }
}

/** A 64-bit value as protobufjs decodes it (a Long, or a number without the long package) as a bigint. */
function bigOf(value: unknown): bigint {
  if (typeof value === 'number') return BigInt(value);
  if (typeof value === 'string') return BigInt(value);
  const long = value as protobuf.Long;
  return (BigInt(long.high >>> 0) << 32n) | BigInt(long.low >>> 0);
}

/** The shortest decimal that reads back as the same float32, as protobuf's JSON printers print floats. */
function shortestFloat32(value: number): number {
  for (let digits = 1; digits < 17; digits++) {
    const candidate = Number(value.toPrecision(digits));
    if (Math.fround(candidate) === value) return candidate;
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// Well-known types with a JSON form of their own.

interface Special {
  /** The JSON form → the message's fields, as plain JSON the generic encoder takes. */
  toRaw(ctx: Ctx, json: unknown, path: string): unknown;
  /** A decoded message → the JSON form. */
  toJson(ctx: Ctx, message: XdsJsonObject, path: string): unknown;
}

// protobufjs's bundled google.protobuf.Value names its fields in camelCase (nullValue …), unlike
// every other type here: Value is handled by field number, whatever the names.
const VALUE_KINDS = ['null', 'number', 'string', 'bool', 'struct', 'list'] as const;
let valueNames: Readonly<Record<(typeof VALUE_KINDS)[number], string>> | undefined;

function valueFieldNames(ctx: Ctx): Readonly<Record<(typeof VALUE_KINDS)[number], string>> {
  valueNames ??= (() => {
    const type = messageType('google.protobuf.Value', ctx.resource, ctx.root);
    return Object.fromEntries(VALUE_KINDS.map((kind, index) => [kind, type.fieldsById[index + 1]!.name])) as Record<(typeof VALUE_KINDS)[number], string>;
  })();
  return valueNames;
}

const MAX_DURATION_SECONDS = 315_576_000_000n;
const MIN_TIMESTAMP_SECONDS = -62_135_596_800n; // 0001-01-01T00:00:00Z
const MAX_TIMESTAMP_SECONDS = 253_402_300_799n; // 9999-12-31T23:59:59Z

function fraction(nanos: number): string {
  return nanos === 0 ? '' : `.${String(nanos).padStart(9, '0').replace(/0+$/, '')}`;
}

function nanosOf(digits: string | undefined): number {
  return digits ? Number(digits.padEnd(9, '0')) : 0;
}

const duration: Special = {
  toRaw(ctx, json, path) {
    const match = typeof json === 'string' ? /^(-)?(\d+)(?:\.(\d{1,9}))?s$/.exec(json) : null;
    if (!match) throw new XdsCodecError(ctx.resource, path, `expected a duration such as "7s" or "0.25s", got ${describe(json)}`);
    const seconds = BigInt(match[2]!);
    if (seconds > MAX_DURATION_SECONDS) throw new XdsCodecError(ctx.resource, path, `duration ${json} is beyond ±${MAX_DURATION_SECONDS}s`);
    const sign = match[1] ? -1 : 1;
    return { seconds: (seconds * BigInt(sign)).toString(), nanos: sign * nanosOf(match[3]) || 0 }; // || 0: "-0s" is "0s"
  },
  toJson(_ctx, message) {
    const seconds = BigInt.asIntN(64, bigOf(message['seconds'] ?? 0));
    const nanos = (message['nanos'] as number | undefined) ?? 0;
    const negative = seconds < 0n || nanos < 0;
    const abs = seconds < 0n ? -seconds : seconds;
    return `${negative ? '-' : ''}${abs}${fraction(Math.abs(nanos))}s`;
  },
};

const timestamp: Special = {
  toRaw(ctx, json, path) {
    const match = typeof json === 'string' ? /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(json) : null;
    const [year, month, day, hour, minute, second] = (match ?? []).slice(1, 7).map(Number) as [number, number, number, number, number, number];
    const date = new Date(0);
    date.setUTCFullYear(year, month - 1, day); // setUTCFullYear, unlike Date.UTC, keeps years 0-99 as they are
    date.setUTCHours(hour, minute, second);
    const valid = match && date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day && hour < 24 && minute < 60 && second < 60;
    if (!valid) throw new XdsCodecError(ctx.resource, path, `expected an RFC 3339 timestamp such as "2024-05-01T10:00:00Z", got ${describe(json)}`);
    const zone = match[8]!;
    const offsetSeconds = zone === 'Z' ? 0 : (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 3600 + Number(zone.slice(4, 6)) * 60);
    const seconds = BigInt(date.getTime() / 1000 - offsetSeconds);
    if (seconds < MIN_TIMESTAMP_SECONDS || seconds > MAX_TIMESTAMP_SECONDS) throw new XdsCodecError(ctx.resource, path, `timestamp ${json} is outside years 0001-9999`);
    return { seconds: seconds.toString(), nanos: nanosOf(match[7]) };
  },
  toJson(_ctx, message) {
    const seconds = Number(BigInt.asIntN(64, bigOf(message['seconds'] ?? 0)));
    const nanos = (message['nanos'] as number | undefined) ?? 0;
    const text = new Date(seconds * 1000).toISOString(); // YYYY-MM-DDTHH:MM:SS.000Z
    return `${text.slice(0, 19)}${fraction(nanos)}Z`;
  },
};

function wrapper(scalar: Scalar): Special {
  const field = { scalar, enumType: undefined } as FieldInfo;
  return {
    toRaw(ctx, json, path) {
      scalarValue(ctx, field, json, path); // checked here so that errors name the field, not its ".value"
      return { value: json };
    },
    toJson: (_ctx, message) => scalarJson(scalar, message['value'] ?? defaultOf(scalar)),
  };
}

function defaultOf(scalar: Scalar): unknown {
  if (scalar === 'bool') return false;
  if (scalar === 'string') return '';
  if (scalar === 'bytes') return new Uint8Array();
  return 0;
}

const struct: Special = {
  toRaw(ctx, json, path) {
    if (!isPlainObject(json)) throw new XdsCodecError(ctx.resource, path, `expected an object (a Struct), got ${describe(json)}`);
    return { fields: json };
  },
  toJson(ctx, message, path) {
    const fields = (message['fields'] ?? {}) as XdsJsonObject;
    return Object.fromEntries(Object.keys(fields).sort().map((key) => [key, value.toJson(ctx, fields[key] as XdsJsonObject, `${path}[${JSON.stringify(key)}]`)]));
  },
};

const value: Special = {
  toRaw(ctx, json, path) {
    const names = valueFieldNames(ctx);
    if (json === null) return { [names.null]: 'NULL_VALUE' };
    if (typeof json === 'number') {
      if (!Number.isFinite(json)) throw new XdsCodecError(ctx.resource, path, `a Value cannot hold ${json}`);
      return { [names.number]: json };
    }
    if (typeof json === 'string') return { [names.string]: json };
    if (typeof json === 'boolean') return { [names.bool]: json };
    if (Array.isArray(json)) return { [names.list]: json };
    if (isPlainObject(json)) return { [names.struct]: json };
    throw new XdsCodecError(ctx.resource, path, `expected a JSON value, got ${describe(json)}`);
  },
  toJson(ctx, message, path) {
    const names = valueFieldNames(ctx);
    if (has(message, names.struct)) return struct.toJson(ctx, message[names.struct] as XdsJsonObject, path);
    if (has(message, names.list)) return list.toJson(ctx, message[names.list] as XdsJsonObject, path);
    if (has(message, names.string)) return message[names.string];
    if (has(message, names.number)) return message[names.number];
    if (has(message, names.bool)) return message[names.bool];
    return null;
  },
};

const list: Special = {
  toRaw(ctx, json, path) {
    if (!Array.isArray(json)) throw new XdsCodecError(ctx.resource, path, `expected an array (a ListValue), got ${describe(json)}`);
    return { values: json };
  },
  toJson(ctx, message, path) {
    const values = (message['values'] ?? []) as XdsJsonObject[];
    return values.map((item, index) => value.toJson(ctx, item, `${path}[${index}]`));
  },
};

const any: Special = {
  toRaw(ctx, json, path) {
    if (!isPlainObject(json)) throw new XdsCodecError(ctx.resource, path, `expected an object with "@type" (an Any), got ${describe(json)}`);
    const url = json['@type'];
    if (typeof url !== 'string' || url === '') throw new XdsCodecError(ctx.resource, child(path, '@type'), `an Any needs "@type", got ${describe(url)}`);
    const inner = messageType(url, ctx.resource, ctx.root, child(path, '@type'));
    const { '@type': _omit, ...fields } = json;
    let body: unknown = fields;
    if (SPECIAL.has(inner.fullName)) {
      const extra = Object.keys(fields).filter((key) => key !== 'value');
      if (extra.length > 0) throw new XdsCodecError(ctx.resource, child(path, extra[0]!), `an Any of ${typeName(inner)} holds only "@type" and "value"`);
      body = fields['value'];
      // No "value": the inner message is empty (the default Duration, wrapper …).
      if (body === undefined) return { type_url: url };
    }
    return { type_url: url, value: encodeToBytes(ctx, inner, body, path) };
  },
  toJson(ctx, message, path) {
    const url = (message['type_url'] as string | undefined) ?? '';
    const bytes = (message['value'] as Uint8Array | undefined) ?? new Uint8Array();
    if (url === '' && bytes.length === 0) return {};
    const inner = messageType(url, ctx.resource, ctx.root, child(path, 'type_url'));
    const json = decodeToJson(ctx, inner, bytes, path);
    return SPECIAL.has(inner.fullName) ? { '@type': url, value: json } : { '@type': url, ...(json as XdsJsonObject) };
  },
};

const SPECIAL: ReadonlyMap<string, Special> = new Map([
  ['.google.protobuf.Any', any],
  ['.google.protobuf.Duration', duration],
  ['.google.protobuf.Timestamp', timestamp],
  ['.google.protobuf.Struct', struct],
  ['.google.protobuf.Value', value],
  ['.google.protobuf.ListValue', list],
  ['.google.protobuf.DoubleValue', wrapper('double')],
  ['.google.protobuf.FloatValue', wrapper('float')],
  ['.google.protobuf.Int64Value', wrapper('int64')],
  ['.google.protobuf.UInt64Value', wrapper('uint64')],
  ['.google.protobuf.Int32Value', wrapper('int32')],
  ['.google.protobuf.UInt32Value', wrapper('uint32')],
  ['.google.protobuf.BoolValue', wrapper('bool')],
  ['.google.protobuf.StringValue', wrapper('string')],
  ['.google.protobuf.BytesValue', wrapper('bytes')],
]);
