/** The targetRef kinds of Kuma (KUMA.md §3.1), in specificity order. */
export const TARGET_REF_KINDS = [
    'Mesh',
    'Dataplane',
    'MeshSubset',
    'MeshGateway',
    'MeshService',
    'MeshExternalService',
    'MeshMultiZoneService',
    'MeshServiceSubset',
    'MeshHTTPRoute',
];
