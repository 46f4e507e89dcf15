// The ordered list of policy kinds: explicit, no import side effects. Sorted by Kuma's order.
import { meshTimeout } from './mesh-timeout/index.js';
import { meshRateLimit } from './mesh-rate-limit/index.js';
import { meshFaultInjection } from './mesh-fault-injection/index.js';
import { meshAccessLog } from './mesh-access-log/index.js';
import { meshTrafficPermission } from './mesh-traffic-permission/index.js';
import { meshRetry } from './mesh-retry/index.js';
import { meshCircuitBreaker } from './mesh-circuit-breaker/index.js';
import { meshHealthCheck } from './mesh-health-check/index.js';
import { meshHTTPRoute } from './mesh-http-route/index.js';
import { meshTCPRoute } from './mesh-tcp-route/index.js';
import { meshLoadBalancingStrategy } from './mesh-load-balancing-strategy/index.js';
import type { PolicyModule } from './types.js';

export const POLICIES: readonly PolicyModule[] = [
  meshTimeout as PolicyModule,
  meshRateLimit as PolicyModule,
  meshFaultInjection as PolicyModule,
  meshAccessLog as PolicyModule,
  meshTrafficPermission as PolicyModule,
  meshRetry as PolicyModule,
  meshCircuitBreaker as PolicyModule,
  meshHealthCheck as PolicyModule,
  meshHTTPRoute as PolicyModule,
  meshTCPRoute as PolicyModule,
  meshLoadBalancingStrategy as PolicyModule,
].sort((a, b) => a.order - b.order);
