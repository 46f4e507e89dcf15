/** The kuma.io/service tag (KUMA.md §1). */
export const SERVICE_TAG = 'kuma.io/service';
/** Builds the index. Pure; tolerates any spec shape. */
export function indexRepository(resources) {
    const meshes = new Set();
    const services = new Map();
    const dataplanes = new Map();
    const httpRoutes = new Map();
    const add = (map, mesh, value) => {
        let set = map.get(mesh);
        if (!set)
            map.set(mesh, (set = new Set()));
        set.add(value);
    };
    for (const resource of resources) {
        if (resource.kind === 'Mesh')
            meshes.add(resource.name);
        else if (resource.kind === 'MeshHTTPRoute')
            add(httpRoutes, resource.mesh, resource.name);
        else if (resource.kind === 'Dataplane') {
            add(dataplanes, resource.mesh, resource.name);
            const networking = resource.spec?.networking;
            for (const inbound of networking?.inbound ?? []) {
                const service = inbound?.tags?.[SERVICE_TAG];
                if (typeof service === 'string')
                    add(services, resource.mesh, service);
            }
            const gatewayService = networking?.gateway?.tags?.[SERVICE_TAG];
            if (typeof gatewayService === 'string')
                add(services, resource.mesh, gatewayService);
        }
    }
    const empty = new Set();
    return {
        meshes,
        services: (mesh) => services.get(mesh) ?? empty,
        dataplanes: (mesh) => dataplanes.get(mesh) ?? empty,
        httpRoutes: (mesh) => httpRoutes.get(mesh) ?? empty,
    };
}
