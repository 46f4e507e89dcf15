// Per-mesh indexes of what a repository defines, for reference checks.
import type { Resource } from '../core/resource.js';

/** The kuma.io/service tag (KUMA.md §1). */
export const SERVICE_TAG = 'kuma.io/service';

/** What each mesh holds, by name. Built once per validation from schema-valid resources. */
export interface RepositoryIndex {
  readonly meshes: ReadonlySet<string>;
  /** Services a Dataplane inbound (or gateway) of the mesh serves, by kuma.io/service. */
  readonly services: (mesh: string) => ReadonlySet<string>;
  readonly dataplanes: (mesh: string) => ReadonlySet<string>;
  readonly httpRoutes: (mesh: string) => ReadonlySet<string>;
}

interface DataplaneBody {
  networking?: { inbound?: { tags?: Record<string, string> }[]; gateway?: { tags?: Record<string, string> } };
}

/** Builds the index. Pure; tolerates any spec shape. */
export function indexRepository(resources: readonly Resource[]): RepositoryIndex {
  const meshes = new Set<string>();
  const services = new Map<string, Set<string>>();
  const dataplanes = new Map<string, Set<string>>();
  const httpRoutes = new Map<string, Set<string>>();
  const add = (map: Map<string, Set<string>>, mesh: string, value: string) => {
    let set = map.get(mesh);
    if (!set) map.set(mesh, (set = new Set()));
    set.add(value);
  };
  for (const resource of resources) {
    if (resource.kind === 'Mesh') meshes.add(resource.name);
    else if (resource.kind === 'MeshHTTPRoute') add(httpRoutes, resource.mesh, resource.name);
    else if (resource.kind === 'Dataplane') {
      add(dataplanes, resource.mesh, resource.name);
      const networking = (resource.spec as DataplaneBody | undefined)?.networking;
      for (const inbound of networking?.inbound ?? []) {
        const service = inbound?.tags?.[SERVICE_TAG];
        if (typeof service === 'string') add(services, resource.mesh, service);
      }
      const gatewayService = networking?.gateway?.tags?.[SERVICE_TAG];
      if (typeof gatewayService === 'string') add(services, resource.mesh, gatewayService);
    }
  }
  const empty: ReadonlySet<string> = new Set();
  return {
    meshes,
    services: (mesh) => services.get(mesh) ?? empty,
    dataplanes: (mesh) => dataplanes.get(mesh) ?? empty,
    httpRoutes: (mesh) => httpRoutes.get(mesh) ?? empty,
  };
}
