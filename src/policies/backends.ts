// Cluster names for route backends: the service, or `service-<hash>` for a tagged subset (Kuma style).
import { createHash } from 'node:crypto';
import { canonicalJson } from '../core/canonical-json.js';
import type { Backend } from './types.js';

/** The cluster that serves a backend; equal backends give equal names on every machine. */
export function backendCluster(backend: Pick<Backend, 'service' | 'tags'>): string {
  const tags = Object.entries(backend.tags ?? {}).filter(([key]) => key !== 'kuma.io/service');
  if (tags.length === 0) return backend.service;
  const hash = createHash('sha256').update(canonicalJson(Object.fromEntries(tags))).digest('hex').slice(0, 16);
  return `${backend.service}-${hash}`;
}
