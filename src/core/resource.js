/** Every kind gitmesh reads, in the order DESIGN.md §3 lists them. */
export const KINDS = [
    'Mesh',
    'Dataplane',
    'MeshTrafficPermission',
    'MeshTimeout',
    'MeshRetry',
    'MeshCircuitBreaker',
    'MeshHealthCheck',
    'MeshHTTPRoute',
    'MeshTCPRoute',
    'MeshLoadBalancingStrategy',
    'MeshRateLimit',
    'MeshFaultInjection',
    'MeshAccessLog',
];
/** Whether a string names a kind gitmesh reads. */
export function isKind(value) {
    return typeof value === 'string' && KINDS.includes(value);
}
/** A stable string for a resource's identity, used for sorting and maps: `Kind/mesh/name`. */
export function resourceId(key) {
    return `${key.kind}/${key.mesh}/${key.name}`;
}
/** Orders resources by kind (in KINDS order), mesh, then name. */
export function compareResources(a, b) {
    return (KINDS.indexOf(a.kind) - KINDS.indexOf(b.kind) ||
        (a.mesh < b.mesh ? -1 : a.mesh > b.mesh ? 1 : 0) ||
        (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
/** The kebab-case slug of a kind, as in `schemas/<slug>.schema.json`: MeshHTTPRoute → mesh-http-route. */
export function kindSlug(kind) {
    return kind
        .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
        .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
        .toLowerCase();
}
/** The `$id` of a kind's JSON Schema. */
export function schemaId(kind) {
    return `https://gitmesh.dev/schemas/${kindSlug(kind)}.schema.json`;
}
