// Whether a real gRPC client would take a resource: @grpc/grpc-js-xds's own decoders as an oracle (STYLE.md §14).
import { createRequire } from 'node:module';
import { TYPE_URLS } from '../../src/xds/type-urls.js';

/** What grpc-js-xds said: `ok`, or the validation error it would NACK with. */
export interface GrpcVerdict {
  readonly ok: boolean;
  readonly error?: string;
}

interface DecodeResult {
  readonly name: string;
  readonly error?: string;
}

interface ResourceType {
  decode(context: unknown, resource: { type_url: string; value: Buffer }): DecodeResult;
}

const require = createRequire(import.meta.url);
let types: ReadonlyMap<string, ResourceType> | undefined;

function resourceTypes(): ReadonlyMap<string, ResourceType> {
  if (!types) {
    // register() fills the HTTP filter registry (router, fault; RBAC only with
    // GRPC_XDS_EXPERIMENTAL_RBAC=true) that the Listener validator consults.
    (require('@grpc/grpc-js-xds') as { register(): void }).register();
    const load = (file: string, name: string): ResourceType =>
      (require(`@grpc/grpc-js-xds/build/src/xds-resource-type/${file}`) as Record<string, { get(): ResourceType }>)[name]!.get();
    types = new Map([
      [TYPE_URLS.lds, load('listener-resource-type.js', 'ListenerResourceType')],
      [TYPE_URLS.rds, load('route-config-resource-type.js', 'RouteConfigurationResourceType')],
      [TYPE_URLS.cds, load('cluster-resource-type.js', 'ClusterResourceType')],
      [TYPE_URLS.eds, load('endpoint-resource-type.js', 'EndpointResourceType')],
    ]);
  }
  return types;
}

/**
 * The decode context xds-client.js passes: the xDS server the resource came from (used for
 * `lrs_server.self`) and the bootstrap (its certificate providers are matched by TLS checks).
 */
const CONTEXT = {
  server: { server_uri: 'localhost:5678', channel_creds: [{ type: 'insecure' }], server_features: [] },
  bootstrap: {
    xdsServers: [{ server_uri: 'localhost:5678', channel_creds: [{ type: 'insecure' }], server_features: [] }],
    node: { id: 'default.oracle', locality: {} },
    authorities: {},
    clientDefaultListenerResourceNameTemplate: '%s',
    serverListenerResourceNameTemplate: null,
    certificateProviders: {},
  },
};

/**
 * Runs `bytes`, a resource of type `typeUrl`, through the decoder and validator a grpc-js-xds
 * 1.14 client applies to each resource of a DiscoveryResponse, with default feature flags.
 * Returns `{ok: true}` when it would accept it, else `{ok: false, error}` with the client's
 * message. Secrets have no gRPC decoder: `{ok: false}` says so. Synchronous; no network.
 */
export function grpcClientAccepts(typeUrl: string, bytes: Uint8Array): GrpcVerdict {
  const type = resourceTypes().get(typeUrl);
  if (!type) return { ok: false, error: `grpc-js-xds has no resource type for ${typeUrl}` };
  try {
    const result = type.decode(CONTEXT, { type_url: typeUrl, value: Buffer.from(bytes) });
    return result.error === undefined ? { ok: true } : { ok: false, error: result.error };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}
