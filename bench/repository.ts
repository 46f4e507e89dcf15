// A deterministic synthetic policy repository for benchmarks: one Mesh, Dataplanes, every policy kind.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { KINDS, kindSlug, type Kind } from '../src/core/resource.js';

export interface RepositoryShape {
  /** Policy files in all, the Mesh and Dataplane files included (default 1,000). */
  readonly files: number;
  /** Services, each served by `dataplanes / services` Dataplanes (default 100). */
  readonly services: number;
  /** Dataplanes, one file each (default 300). */
  readonly dataplanes: number;
  /** The policy kinds to write; the files left after Mesh and Dataplanes are shared among them. */
  readonly kinds: readonly Kind[];
}

export const DEFAULT_SHAPE: RepositoryShape = {
  files: 1000,
  services: 100,
  dataplanes: 300,
  kinds: KINDS.filter((k) => k !== 'Mesh' && k !== 'Dataplane'),
};

export interface GeneratedRepository {
  readonly files: number;
  readonly documents: number;
  readonly bytes: number;
  readonly perKind: Readonly<Record<string, number>>;
}

const svc = (i: number, services: number) => `svc-${String(((i % services) + services) % services).padStart(3, '0')}`;
const protocolOf = (service: number) => (service % 10 === 9 ? 'tcp' : service % 10 === 8 ? 'grpc' : 'http');

/**
 * Writes the repository under `root` (which must exist and be empty). Deterministic: the same
 * shape gives byte-identical files. Every document is meant to validate with no diagnostic:
 * each policy of a kind selects its own service's Dataplanes, so no two of a kind conflict.
 */
export async function writeRepository(root: string, shape: RepositoryShape = DEFAULT_SHAPE): Promise<GeneratedRepository> {
  const out = new Map<string, string>();
  out.set('mesh.yaml', MESH);
  for (let i = 0; i < shape.dataplanes; i++) {
    const service = i % shape.services;
    out.set(`dataplanes/${svc(service, shape.services)}/${svc(service, shape.services)}-${Math.floor(i / shape.services)}.yaml`, dataplane(i, shape.services));
  }
  const perKind: Record<string, number> = {};
  const policyFiles = shape.files - out.size;
  shape.kinds.forEach((kind, k) => {
    const count = Math.floor(policyFiles / shape.kinds.length) + (k < policyFiles % shape.kinds.length ? 1 : 0);
    perKind[kind] = count;
    for (let j = 0; j < count; j++) {
      const name = `${kindSlug(kind)}-${String(j).padStart(3, '0')}`;
      const body = POLICY[kind]?.(j, shape.services);
      if (body === undefined) throw new Error(`bench: no generator for ${kind}`);
      // Every third policy in the Kubernetes envelope, as a mixed repository has them.
      const text = j % 3 === 2 ? kubernetes(kind, name, body) : universal(kind, name, body);
      out.set(`policies/${kindSlug(kind)}/${name}.yaml`, text);
    }
  });
  let bytes = 0;
  for (const [path, text] of [...out].sort(([a], [b]) => (a < b ? -1 : 1))) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
    bytes += Buffer.byteLength(text);
  }
  return { files: out.size, documents: out.size, bytes, perKind };
}

const MESH = `type: Mesh
name: default
mtls:
  enabledBackend: ca-1
  backends:
    - name: ca-1
      type: builtin
`;

function dataplane(i: number, services: number): string {
  const service = i % services;
  const name = `${svc(service, services)}-${Math.floor(i / services)}`;
  const protocol = protocolOf(service);
  const port = protocol === 'grpc' ? 9090 : protocol === 'tcp' ? 6379 : 8080;
  return `type: Dataplane
name: ${name}
mesh: default
labels:
  app: ${svc(service, services)}
  team: team-${service % 7}
networking:
  address: 10.${Math.floor(i / 250)}.${i % 250}.${1 + (service % 200)}
  inbound:
    - port: ${port}
      name: main
      tags:
        kuma.io/service: ${svc(service, services)}
        kuma.io/protocol: ${protocol}
        version: v${1 + (i % 3)}
  outbound:
    - port: ${10001 + ((service + 1) % services)}
      tags:
        kuma.io/service: ${svc(service + 1, services)}
    - port: ${10001 + ((service + 2) % services)}
      tags:
        kuma.io/service: ${svc(service + 2, services)}
`;
}

function universal(kind: Kind, name: string, spec: string): string {
  return `type: ${kind}\nname: ${name}\nmesh: default\nlabels:\n  team: platform\nspec:\n${spec}`;
}

function kubernetes(kind: Kind, name: string, spec: string): string {
  return `apiVersion: kuma.io/v1alpha1\nkind: ${kind}\nmetadata:\n  name: ${name}\n  namespace: kuma-demo\n  labels:\n    kuma.io/mesh: default\n    team: platform\nspec:\n${spec}`;
}

/** The top-level targetRef of policy j: the Dataplanes of one service, distinct per policy of a kind. */
const top = (j: number, services: number) => `  targetRef:\n    kind: Dataplane\n    labels:\n      app: ${svc(j, services)}\n`;
/** A `to[]` entry header for the next service. */
const to = (j: number, services: number) => `  to:\n    - targetRef:\n        kind: MeshService\n        name: ${svc(j + 1, services)}\n`;

/** spec bodies (indented two spaces) per policy kind, following Kuma 2.x (KUMA.md §2). */
const POLICY: Partial<Record<Kind, (j: number, services: number) => string>> = {
  MeshTrafficPermission: (j, n) => `${top(j, n)}  from:
    - targetRef:
        kind: Mesh
      default:
        action: Deny
    - targetRef:
        kind: MeshSubset
        tags:
          kuma.io/service: ${svc(j + 99, n)}
      default:
        action: Allow
`,
  MeshTimeout: (j, n) => `${top(j, n)}${to(j, n)}      default:
        connectionTimeout: ${1 + (j % 5)}s
        idleTimeout: ${10 + j}m
        http:
          requestTimeout: ${5 + (j % 10)}s
          streamIdleTimeout: 30m
          maxStreamDuration: 1h
`,
  MeshRetry: (j, n) => `${top(j, n)}${to(j, n)}      default:
        tcp:
          maxConnectAttempt: 5
        http:
          numRetries: ${1 + (j % 4)}
          perTryTimeout: 2s
          backOff:
            baseInterval: 25ms
            maxInterval: 250ms
          retryOn:
            - 5xx
            - GatewayError
            - ConnectFailure
            - "503"
        grpc:
          numRetries: 2
          retryOn: [Unavailable, ResourceExhausted]
`,
  MeshCircuitBreaker: (j, n) => `${top(j, n)}${to(j, n)}      default:
        connectionLimits:
          maxConnections: ${256 + j}
          maxPendingRequests: 512
          maxRetries: 3
          maxRequests: 1024
        outlierDetection:
          interval: 5s
          baseEjectionTime: 30s
          maxEjectionPercent: 20
          detectors:
            totalFailures:
              consecutive: 10
            gatewayFailures:
              consecutive: 5
            successRate:
              minimumHosts: 5
              requestVolume: 10
              standardDeviationFactor: "1.9"
`,
  MeshHealthCheck: (j, n) => `${top(j, n)}${to(j, n)}      default:
        interval: 10s
        timeout: 2s
        unhealthyThreshold: 3
        healthyThreshold: 1
        http:
          path: /health/${j}
          expectedStatuses: [200, 204]
`,
  MeshHTTPRoute: (j, n) => `${top(j, n)}${to(j, n)}      rules:
        - matches:
            - path:
                type: PathPrefix
                value: /api/v${1 + (j % 3)}
              method: GET
          default:
            filters:
              - type: RequestHeaderModifier
                requestHeaderModifier:
                  set:
                    - name: x-route
                      value: r${j}
            backendRefs:
              - kind: MeshService
                name: ${svc(j + 1, n)}
                weight: 90
              - kind: MeshService
                name: ${svc(j + 2, n)}
                weight: 10
        - matches:
            - path:
                type: Exact
                value: /healthz
          default:
            backendRefs:
              - kind: MeshService
                name: ${svc(j + 1, n)}
`,
  MeshTCPRoute: (j, n) => `${top(j, n)}${to(j, n)}      rules:
        - default:
            backendRefs:
              - kind: MeshService
                name: ${svc(j + 1, n)}
                weight: 80
              - kind: MeshService
                name: ${svc(j + 3, n)}
                weight: 20
`,
  MeshLoadBalancingStrategy: (j, n) => `${top(j, n)}${to(j, n)}      default:
        loadBalancer:
          type: ${j % 2 ? 'LeastRequest' : 'RingHash'}
${j % 2 ? '          leastRequest:\n            choiceCount: 3\n' : '          ringHash:\n            hashFunction: MurmurHash2\n            minRingSize: 1024\n'}        localityAwareness:
          localZone:
            affinityTags:
              - key: k8s.io/node
                weight: 90
              - key: topology.kubernetes.io/zone
                weight: 10
`,
  MeshRateLimit: (j, n) => `${top(j, n)}  rules:
    - default:
        local:
          http:
            requestRate:
              num: ${100 + j}
              interval: 1s
            onRateLimit:
              status: 429
          tcp:
            connectionRate:
              num: 50
              interval: 1m
`,
  MeshFaultInjection: (j, n) => `${top(j, n)}  rules:
    - default:
        http:
          - abort:
              httpStatus: 503
              percentage: ${1 + (j % 5)}
          - delay:
              value: 250ms
              percentage: "12.5"
`,
  MeshAccessLog: (j, n) => `${top(j, n)}${to(j, n)}      default:
        backends:
          - type: File
            file:
              path: /var/log/access-${j}.log
              format:
                type: Json
                json:
                  - key: start_time
                    value: "%START_TIME%"
                  - key: mesh
                    value: "%KUMA_MESH%"
`,
};
