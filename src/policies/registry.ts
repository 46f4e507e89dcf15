// The ordered list of policy kinds: explicit, no import side effects. Sorted by Kuma's order.
import { meshTimeout } from './mesh-timeout/index.js';
import type { PolicyModule } from './types.js';

export const POLICIES: readonly PolicyModule[] = [
  meshTimeout as PolicyModule,
].sort((a, b) => a.order - b.order);
