// PolicyModule: what every policy kind declares, in one shape; the compiler never switches on kind.
import type { Kind } from '../core/resource.js';
import type { KindValidator, TargetRefRules } from '../validate/index.js';

/**
 * One policy kind. A plain object registered in registry.ts; `order` is Kuma's plugin order
 * (KUMA.md §2), which is also the order compile applies the kinds in.
 */
export interface PolicyModule<Spec = unknown> extends KindValidator<Spec> {
  readonly kind: Kind;
  readonly order: number;
  /** The `$id` of the kind's schema in schemas/. */
  readonly schemaId: string;
  readonly targetRefs: TargetRefRules;
}
