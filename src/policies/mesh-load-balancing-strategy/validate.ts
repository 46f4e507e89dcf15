// MeshLoadBalancingStrategy rules beyond the schema (Kuma pkg/plugins/policies/meshloadbalancingstrategy/api/v1alpha1/validator.go, deprecated.go).
import type { Finding, FieldPath } from '../../core/diagnostics.js';
import type { Resource } from '../../core/resource.js';
import type {
  MeshLoadBalancingStrategyConf,
  MeshLoadBalancingStrategyCrossZone,
  MeshLoadBalancingStrategyHashPolicy,
  MeshLoadBalancingStrategyLoadBalancer,
  MeshLoadBalancingStrategyLocalZone,
  MeshLoadBalancingStrategySpec,
  MeshLoadBalancingStrategyTo,
} from '../../generated/mesh-load-balancing-strategy.js';

/** Load balancer type → the field that carries its settings. */
const LB_FIELD = {
  RoundRobin: 'roundRobin',
  LeastRequest: 'leastRequest',
  RingHash: 'ringHash',
  Random: 'random',
  Maglev: 'maglev',
} as const satisfies Record<MeshLoadBalancingStrategyLoadBalancer['type'], keyof MeshLoadBalancingStrategyLoadBalancer>;

/** Hash policy type → the field that carries its settings (SourceIP is Connection's old name). */
const HASH_FIELD = {
  Header: 'header',
  Cookie: 'cookie',
  Connection: 'connection',
  SourceIP: 'connection',
  QueryParameter: 'queryParameter',
  FilterState: 'filterState',
} as const satisfies Record<MeshLoadBalancingStrategyHashPolicy['type'], keyof MeshLoadBalancingStrategyHashPolicy>;

/**
 * Checks one schema-valid MeshLoadBalancingStrategy: what a `to[]` entry may set for its
 * destination kind, hash policies (and Kuma 2.x's deprecated placement), load balancer
 * settings Envoy would reject, and locality rules. Paths are relative to the spec.
 */
export function validateMeshLoadBalancingStrategy(resource: Resource<MeshLoadBalancingStrategySpec>): Finding[] {
  const spec = resource.spec;
  const gateway = spec.targetRef?.kind === 'MeshGateway';
  const findings: Finding[] = [];
  spec.to?.forEach((to, i) => {
    const at: FieldPath = ['to', i];
    findings.push(...checkDestination(to, gateway, at));
    findings.push(...checkConf(to, [...at, 'default']));
  });
  return findings;
}

/** Under a top-level MeshGateway, a `to[]` entry names no route, and only Mesh when it sets loadBalancer. */
function checkDestination(to: MeshLoadBalancingStrategyTo, gateway: boolean, at: FieldPath): Finding[] {
  const kind = to.targetRef.kind;
  const path = [...at, 'targetRef', 'kind'];
  if (!gateway) return [];
  if (kind === 'MeshHTTPRoute') {
    return [{ code: 'GM303', path, message: 'with a top-level MeshGateway targetRef, `to[].targetRef` cannot be a MeshHTTPRoute; allowed: Mesh, MeshService, MeshMultiZoneService' }];
  }
  if (to.default.loadBalancer !== undefined && kind !== 'Mesh') {
    return [{ code: 'GM303', path, message: `with a top-level MeshGateway targetRef, a \`to[]\` entry that sets \`loadBalancer\` must target kind Mesh, not ${kind}` }];
  }
  return [];
}

function checkConf(to: MeshLoadBalancingStrategyTo, at: FieldPath): Finding[] {
  const conf: MeshLoadBalancingStrategyConf = to.default;
  const findings: Finding[] = [];
  if (Object.keys(conf).length === 0) {
    return [{ code: 'GM310', path: at, message: 'default sets nothing; set at least one of `loadBalancer`, `localityAwareness`, `hashPolicies` or remove the entry' }];
  }
  if (to.targetRef.kind === 'MeshHTTPRoute') {
    for (const field of ['loadBalancer', 'localityAwareness'] as const) {
      if (conf[field] !== undefined) {
        findings.push({ code: 'GM310', path: [...at, field], atKey: true, message: `\`${field}\` configures a cluster, not a route: a \`to[]\` entry targeting a MeshHTTPRoute may set only \`hashPolicies\`` });
      }
    }
  }
  if (conf.hashPolicies) findings.push(...checkHashPolicies(conf.hashPolicies, [...at, 'hashPolicies']));
  if (conf.loadBalancer) findings.push(...checkLoadBalancer(conf.loadBalancer, [...at, 'loadBalancer'], conf.hashPolicies !== undefined));
  const locality = conf.localityAwareness;
  if (locality?.localZone) findings.push(...checkLocalZone(locality.localZone, [...at, 'localityAwareness', 'localZone']));
  if (locality?.crossZone) findings.push(...checkCrossZone(locality.crossZone, [...at, 'localityAwareness', 'crossZone'], to));
  return findings;
}

function checkHashPolicies(policies: readonly MeshLoadBalancingStrategyHashPolicy[], at: FieldPath): Finding[] {
  const findings: Finding[] = [];
  policies.forEach((policy, i) => {
    const here = [...at, i];
    const own = HASH_FIELD[policy.type];
    for (const field of new Set(Object.values(HASH_FIELD))) {
      if (field !== own && policy[field] !== undefined) {
        findings.push({ code: 'GM310', path: [...here, field], atKey: true, message: `\`${field}\` does not belong to a hash policy of type ${policy.type}, which reads only \`${own}\`; Kuma would ignore it` });
      }
    }
    if (policy[own] === undefined) {
      findings.push({ code: 'GM310', path: [...here, 'type'], message: `a hash policy of type ${policy.type} needs its settings in \`${own}\`` });
    }
    if (policy.type === 'SourceIP') {
      findings.push({ code: 'GM311', path: [...here, 'type'], message: 'hash policy type SourceIP is deprecated in Kuma 2.x; use type Connection with `connection: {sourceIP: true}`' });
    }
    const cookiePath = policy.cookie?.path;
    if (policy.type === 'Cookie' && cookiePath !== undefined && !cookiePath.startsWith('/')) {
      findings.push({ code: 'GM310', path: [...here, 'cookie', 'path'], message: `cookie path ${JSON.stringify(cookiePath)} must be an absolute path (start with "/")` });
    }
  });
  return findings;
}

function checkLoadBalancer(lb: MeshLoadBalancingStrategyLoadBalancer, at: FieldPath, rootHashPolicies: boolean): Finding[] {
  const findings: Finding[] = [];
  const own = LB_FIELD[lb.type];
  for (const field of Object.values(LB_FIELD)) {
    if (field !== own && lb[field] !== undefined) {
      findings.push({ code: 'GM310', path: [...at, field], atKey: true, message: `\`${field}\` does not belong to load balancer type ${lb.type}, which reads only \`${own}\`; Kuma would ignore it` });
    }
  }
  for (const field of ['ringHash', 'maglev'] as const) {
    const nested = lb[field]?.hashPolicies;
    if (nested === undefined) continue;
    const path = [...at, field, 'hashPolicies'];
    if (rootHashPolicies) {
      findings.push({ code: 'GM310', path, atKey: true, message: `\`default.hashPolicies\` is already set; remove the deprecated \`loadBalancer.${field}.hashPolicies\`, which it would override` });
    } else {
      findings.push({ code: 'GM311', path, atKey: true, message: `\`loadBalancer.${field}.hashPolicies\` is deprecated in Kuma 2.x; move the list to \`default.hashPolicies\`` });
    }
    findings.push(...checkHashPolicies(nested, path));
  }
  const bias = lb.leastRequest?.activeRequestBias;
  if (bias !== undefined) {
    const value = typeof bias === 'number' ? bias : /^\s*-?(\d+(\.\d*)?|\.\d+)\s*$/.test(bias) ? Number(bias) : Number.NaN;
    if (Number.isNaN(value)) {
      findings.push({ code: 'GM310', path: [...at, 'leastRequest', 'activeRequestBias'], message: `activeRequestBias ${JSON.stringify(bias)} is not a number; write an integer or a decimal string like "1.5"` });
    } else if (value < 0) {
      findings.push({ code: 'GM310', path: [...at, 'leastRequest', 'activeRequestBias'], message: `activeRequestBias must be at least 0, not ${bias}` });
    }
  }
  const ring = lb.ringHash;
  if (ring?.minRingSize !== undefined && ring.maxRingSize !== undefined && ring.minRingSize > ring.maxRingSize) {
    // Envoy rejects the cluster (NACK): "minimum_ring_size ... > maximum_ring_size".
    findings.push({ code: 'GM310', path: [...at, 'ringHash', 'minRingSize'], message: `minRingSize ${ring.minRingSize} is above maxRingSize ${ring.maxRingSize}; Envoy would reject the cluster` });
  }
  const tableSize = lb.maglev?.tableSize;
  if (tableSize !== undefined && !isPrime(tableSize)) {
    // Envoy rejects a Maglev table whose size is not prime (NACK).
    findings.push({ code: 'GM310', path: [...at, 'maglev', 'tableSize'], message: `Maglev tableSize ${tableSize} is not a prime number; Envoy would reject the cluster (the default is 65537)` });
  }
  return findings;
}

function checkLocalZone(localZone: MeshLoadBalancingStrategyLocalZone, at: FieldPath): Finding[] {
  const findings: Finding[] = [];
  const tags = localZone.affinityTags ?? [];
  let weighted = 0;
  tags.forEach((tag, i) => {
    if (tag.weight === undefined) return;
    weighted++;
    if (tag.weight === 0) findings.push({ code: 'GM310', path: [...at, 'affinityTags', i, 'weight'], message: `affinity tag ${JSON.stringify(tag.key)} has weight 0; weights must be above 0` });
  });
  if (weighted > 0 && weighted < tags.length) {
    findings.push({ code: 'GM310', path: [...at, 'affinityTags'], atKey: true, message: `${weighted} of ${tags.length} affinity tags have a weight; set a weight on all of them or on none` });
  }
  return findings;
}

function checkCrossZone(crossZone: MeshLoadBalancingStrategyCrossZone, at: FieldPath, to: MeshLoadBalancingStrategyTo): Finding[] {
  const findings: Finding[] = [];
  const ref = to.targetRef;
  if (ref.kind === 'MeshService' && (ref.sectionName !== undefined || (ref.labels !== undefined && Object.keys(ref.labels).length > 0))) {
    findings.push({ code: 'GM310', path: at, atKey: true, message: '`crossZone` cannot apply to a MeshService picked by labels or sectionName: such a MeshService is local to one zone; target a MeshMultiZoneService instead' });
  }
  crossZone.failover?.forEach((failover, i) => {
    const here = [...at, 'failover', i];
    if (failover.from && failover.from.zones.length === 0) {
      findings.push({ code: 'GM310', path: [...here, 'from', 'zones'], message: '`from.zones` is empty; list at least one zone, or drop `from` to apply the rule to every zone' });
    }
    const type = failover.to.type;
    const zones = failover.to.zones ?? [];
    if ((type === 'Any' || type === 'None') && zones.length > 0) {
      findings.push({ code: 'GM310', path: [...here, 'to', 'zones'], message: `\`to.zones\` must be empty when \`to.type\` is ${type}` });
    } else if ((type === 'Only' || type === 'AnyExcept') && zones.length === 0) {
      findings.push({ code: 'GM310', path: [...here, 'to', 'type'], message: `\`to.type\` ${type} needs a non-empty \`to.zones\`` });
    }
  });
  const percentage = crossZone.failoverThreshold?.percentage;
  if (percentage !== undefined && Number(percentage) === 0) {
    findings.push({ code: 'GM310', path: [...at, 'failoverThreshold', 'percentage'], message: 'failoverThreshold.percentage must be above 0' });
  }
  return findings;
}

function isPrime(n: number): boolean {
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}
