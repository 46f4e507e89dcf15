// The ADS gRPC service definition for @grpc/grpc-js, written by hand over the protobufjs Root of protos/.
//
// DiscoveryResponse.resources are `google.protobuf.Any {type_url, value}` whose `value` is the
// cached EncodedResource bytes as they are: serialising a response copies them into the frame,
// it never encodes a resource again.
import type * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { protoRoot } from '../protos.js';

/** `google.rpc.Status` as a client sends it in `error_detail`. */
export interface RpcStatus {
  readonly code: number;
  readonly message: string;
}

/** The parts of `envoy.config.core.v3.Node` gitmesh reads; `metadata` is the Struct as plain JSON. */
export interface NodeInfo {
  readonly id: string;
  readonly cluster: string;
  readonly user_agent_name: string;
  readonly user_agent_version: string;
  readonly client_features: readonly string[];
  readonly metadata: Readonly<Record<string, unknown>>;
}

/** A SotW DiscoveryRequest. `error_detail` is present exactly when the client set it (a NACK). */
export interface DiscoveryRequest {
  readonly version_info: string;
  readonly node?: NodeInfo;
  readonly resource_names: readonly string[];
  readonly type_url: string;
  readonly response_nonce: string;
  readonly error_detail?: RpcStatus;
}

/** One `google.protobuf.Any`. */
export interface AnyMessage {
  readonly type_url: string;
  readonly value: Uint8Array;
}

/** A SotW DiscoveryResponse. */
export interface DiscoveryResponse {
  readonly version_info: string;
  readonly resources: readonly AnyMessage[];
  readonly type_url: string;
  readonly nonce: string;
  readonly control_plane?: { readonly identifier: string };
}

/** What a client writes: a request whose optional parts may be left out. */
export type DiscoveryRequestInput = Partial<Omit<DiscoveryRequest, 'node'>> & { readonly type_url: string; readonly node?: Partial<NodeInfo> & { readonly id: string } };

/** A Delta (incremental) DiscoveryRequest. */
export interface DeltaDiscoveryRequest {
  readonly node?: NodeInfo;
  readonly type_url: string;
  readonly resource_names_subscribe: readonly string[];
  readonly resource_names_unsubscribe: readonly string[];
  /** Name → version the client holds, sent on the first request of a type on a new stream. */
  readonly initial_resource_versions: Readonly<Record<string, string>>;
  readonly response_nonce: string;
  readonly error_detail?: RpcStatus;
}

/** One resource of a Delta response. */
export interface DeltaResource {
  readonly name: string;
  readonly version: string;
  readonly resource: AnyMessage;
}

/** A Delta (incremental) DiscoveryResponse. */
export interface DeltaDiscoveryResponse {
  readonly system_version_info: string;
  readonly resources: readonly DeltaResource[];
  readonly type_url: string;
  readonly removed_resources: readonly string[];
  readonly nonce: string;
}

/** What a Delta client writes: a request whose optional parts may be left out. */
export type DeltaDiscoveryRequestInput = Partial<Omit<DeltaDiscoveryRequest, 'node'>> & { readonly type_url: string; readonly node?: Partial<NodeInfo> & { readonly id: string } };

const DISCOVERY = 'envoy.service.discovery.v3';
interface MessageTypes {
  readonly request: protobuf.Type;
  readonly response: protobuf.Type;
  readonly deltaRequest: protobuf.Type;
  readonly deltaResponse: protobuf.Type;
}
let types: MessageTypes | undefined;

function messageTypes(): MessageTypes {
  types ??= {
    request: protoRoot().lookupType(`${DISCOVERY}.DiscoveryRequest`),
    response: protoRoot().lookupType(`${DISCOVERY}.DiscoveryResponse`),
    deltaRequest: protoRoot().lookupType(`${DISCOVERY}.DeltaDiscoveryRequest`),
    deltaResponse: protoRoot().lookupType(`${DISCOVERY}.DeltaDiscoveryResponse`),
  };
  return types;
}

const TO_OBJECT: protobuf.IConversionOptions = { longs: String, enums: String, bytes: String, defaults: false, arrays: true, objects: true, oneofs: false };

type Plain = Record<string, unknown>;

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

/** google.protobuf.Value (as protobufjs toObject gives it: its bundled well-known types have camelCase field names even with keepCase) → JSON. */
function valueToJson(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Plain;
  if ('stringValue' in v) return v.stringValue;
  if ('numberValue' in v) return v.numberValue;
  if ('boolValue' in v) return v.boolValue;
  if ('structValue' in v) return structToJson(v.structValue);
  if ('listValue' in v) return (((v.listValue as Plain | undefined)?.values as unknown[] | undefined) ?? []).map(valueToJson);
  return null;
}

function structToJson(struct: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const fields = typeof struct === 'object' && struct !== null ? ((struct as Plain).fields as Plain | undefined) : undefined;
  for (const [key, value] of Object.entries(fields ?? {})) out[key] = valueToJson(value);
  return out;
}

function nodeFromPlain(node: Plain): NodeInfo {
  return {
    id: str(node.id),
    cluster: str(node.cluster),
    user_agent_name: str(node.user_agent_name),
    user_agent_version: str(node.user_agent_version),
    client_features: Array.isArray(node.client_features) ? node.client_features.map(str) : [],
    metadata: structToJson(node.metadata),
  };
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.map(str) : [];
}

function errorDetail(plain: Plain): { error_detail?: RpcStatus } {
  const detail = plain.error_detail as Plain | undefined;
  return detail ? { error_detail: { code: typeof detail.code === 'number' ? detail.code : 0, message: str(detail.message) } } : {};
}

/** Decodes a DiscoveryRequest. Throws (protobufjs's error) on bytes that do not parse. */
export function decodeDiscoveryRequest(bytes: Uint8Array): DiscoveryRequest {
  const { request } = messageTypes();
  const plain = request.toObject(request.decode(bytes), TO_OBJECT) as Plain;
  return {
    version_info: str(plain.version_info),
    ...(plain.node ? { node: nodeFromPlain(plain.node as Plain) } : {}),
    resource_names: strings(plain.resource_names),
    type_url: str(plain.type_url),
    response_nonce: str(plain.response_nonce),
    ...errorDetail(plain),
  };
}

/** Decodes a DeltaDiscoveryRequest. Throws (protobufjs's error) on bytes that do not parse. */
export function decodeDeltaDiscoveryRequest(bytes: Uint8Array): DeltaDiscoveryRequest {
  const { deltaRequest } = messageTypes();
  const plain = deltaRequest.toObject(deltaRequest.decode(bytes), TO_OBJECT) as Plain;
  const initial: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [name, version] of Object.entries((plain.initial_resource_versions as Plain | undefined) ?? {})) initial[name] = str(version);
  return {
    ...(plain.node ? { node: nodeFromPlain(plain.node as Plain) } : {}),
    type_url: str(plain.type_url),
    resource_names_subscribe: strings(plain.resource_names_subscribe),
    resource_names_unsubscribe: strings(plain.resource_names_unsubscribe),
    initial_resource_versions: initial,
    response_nonce: str(plain.response_nonce),
    ...errorDetail(plain),
  };
}

function jsonToValue(value: unknown): Plain {
  if (value === null || value === undefined) return { nullValue: 0 };
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'number') return { numberValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (Array.isArray(value)) return { listValue: { values: value.map(jsonToValue) } };
  return { structValue: jsonToStruct(value as Record<string, unknown>) };
}

function jsonToStruct(json: Readonly<Record<string, unknown>>): Plain {
  return { fields: Object.fromEntries(Object.entries(json).map(([k, v]) => [k, jsonToValue(v)])) };
}

function encodeClientMessage(type: protobuf.Type, input: { readonly node?: Partial<NodeInfo> }): Buffer {
  const { node, ...rest } = input;
  const message: Plain = { ...rest };
  if (node) {
    const { metadata, ...nodeRest } = node;
    message.node = { ...nodeRest, ...(metadata ? { metadata: jsonToStruct(metadata) } : {}) };
  }
  return Buffer.from(type.encode(type.fromObject(message)).finish());
}

/** Encodes a DiscoveryRequest (the client side: tests, the bench's simulated proxies). */
export function encodeDiscoveryRequest(input: DiscoveryRequestInput): Buffer {
  return encodeClientMessage(messageTypes().request, input);
}

/** Encodes a DeltaDiscoveryRequest (the client side). */
export function encodeDeltaDiscoveryRequest(input: DeltaDiscoveryRequestInput): Buffer {
  return encodeClientMessage(messageTypes().deltaRequest, input);
}

/** Encodes a DiscoveryResponse; each resource's bytes are copied as they are. */
export function encodeDiscoveryResponse(response: DiscoveryResponse): Buffer {
  const { response: type } = messageTypes();
  // A plain object with the right JS types encodes as is; fromObject would copy the bytes once more.
  return Buffer.from(type.encode(response as unknown as Plain).finish());
}

/** Encodes a DeltaDiscoveryResponse; each resource's bytes are copied as they are. */
export function encodeDeltaDiscoveryResponse(response: DeltaDiscoveryResponse): Buffer {
  const { deltaResponse } = messageTypes();
  return Buffer.from(deltaResponse.encode(response as unknown as Plain).finish());
}

/** Decodes a DeltaDiscoveryResponse (the client side). */
export function decodeDeltaDiscoveryResponse(bytes: Uint8Array): DeltaDiscoveryResponse {
  const { deltaResponse } = messageTypes();
  const message = deltaResponse.decode(bytes) as unknown as Plain;
  const resources = ((message.resources as Plain[] | undefined) ?? []).map((resource) => {
    const any = (resource.resource as Plain | null | undefined) ?? {};
    return { name: str(resource.name), version: str(resource.version), resource: { type_url: str(any.type_url), value: (any.value as Uint8Array | undefined) ?? new Uint8Array() } };
  });
  return {
    system_version_info: str(message.system_version_info),
    resources,
    type_url: str(message.type_url),
    removed_resources: strings(message.removed_resources),
    nonce: str(message.nonce),
  };
}

/** Decodes a DiscoveryResponse (the client side). */
export function decodeDiscoveryResponse(bytes: Uint8Array): DiscoveryResponse {
  const { response } = messageTypes();
  const message = response.decode(bytes) as unknown as Plain;
  const resources = ((message.resources as Plain[] | undefined) ?? []).map((any) => ({ type_url: str(any.type_url), value: (any.value as Uint8Array | undefined) ?? new Uint8Array() }));
  const controlPlane = message.control_plane as Plain | null | undefined;
  return {
    version_info: str(message.version_info),
    resources,
    type_url: str(message.type_url),
    nonce: str(message.nonce),
    ...(controlPlane ? { control_plane: { identifier: str(controlPlane.identifier) } } : {}),
  };
}

/** The method path of SotW ADS. */
export const SOTW_ADS_PATH = `/${DISCOVERY}.AggregatedDiscoveryService/StreamAggregatedResources`;
/** The method path of Delta ADS. */
export const DELTA_ADS_PATH = `/${DISCOVERY}.AggregatedDiscoveryService/DeltaAggregatedResources`;

/** The handler a server gives for SotW ADS. */
export type SotwAdsHandler = grpc.handleBidiStreamingCall<DiscoveryRequest, DiscoveryResponse>;
/** The handler a server gives for Delta ADS. */
export type DeltaAdsHandler = grpc.handleBidiStreamingCall<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;

/** The method definition of SotW ADS, for both sides (the client uses path + requestSerialize + responseDeserialize). */
export const SOTW_ADS_METHOD: grpc.MethodDefinition<DiscoveryRequest | DiscoveryRequestInput, DiscoveryResponse> = {
  path: SOTW_ADS_PATH,
  requestStream: true,
  responseStream: true,
  requestSerialize: (request) => encodeDiscoveryRequest(request as DiscoveryRequestInput),
  requestDeserialize: (bytes) => decodeDiscoveryRequest(bytes),
  responseSerialize: (response) => encodeDiscoveryResponse(response),
  responseDeserialize: (bytes) => decodeDiscoveryResponse(bytes),
  originalName: 'streamAggregatedResources',
};

/** The method definition of Delta ADS, for both sides. */
export const DELTA_ADS_METHOD: grpc.MethodDefinition<DeltaDiscoveryRequest | DeltaDiscoveryRequestInput, DeltaDiscoveryResponse> = {
  path: DELTA_ADS_PATH,
  requestStream: true,
  responseStream: true,
  requestSerialize: (request) => encodeDeltaDiscoveryRequest(request as DeltaDiscoveryRequestInput),
  requestDeserialize: (bytes) => decodeDeltaDiscoveryRequest(bytes),
  responseSerialize: (response) => encodeDeltaDiscoveryResponse(response),
  responseDeserialize: (bytes) => decodeDeltaDiscoveryResponse(bytes),
  originalName: 'deltaAggregatedResources',
};

/** The AggregatedDiscoveryService as grpc-js wants it: both methods. */
export const ADS_SERVICE: grpc.ServiceDefinition<{ StreamAggregatedResources: SotwAdsHandler; DeltaAggregatedResources: DeltaAdsHandler }> = {
  StreamAggregatedResources: SOTW_ADS_METHOD,
  DeltaAggregatedResources: DELTA_ADS_METHOD,
};
