// Prometheus metrics of gitmesh: one prom-client Registry per instance (never the global default) holding the reconcile, commit, proxy and xDS ACK/NACK series plus the process defaults.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AdsHooks } from '../xds/ads/session.js';
import { PUSH_ORDER, type XdsTypeName } from '../xds/type-urls.js';

/** How one reconcile ended (the `outcome` label). */
export type ReconcileOutcomeLabel = 'applied' | 'rejected' | 'unchanged' | 'failed';

/** Every outcome, so each series exists (at 0) from the first scrape. */
export const RECONCILE_OUTCOMES: readonly ReconcileOutcomeLabel[] = ['applied', 'rejected', 'unchanged', 'failed'];

/** The metric names, for dashboards, alerts and tests. */
export const METRIC_NAMES = {
  reconcileDuration: 'gitmesh_reconcile_duration_seconds',
  commitsApplied: 'gitmesh_commits_applied_total',
  commitsRejected: 'gitmesh_commits_rejected_total',
  rollbacks: 'gitmesh_rollbacks_total',
  connectedProxies: 'gitmesh_connected_proxies',
  xdsAcks: 'gitmesh_xds_acks_total',
  xdsNacks: 'gitmesh_xds_nacks_total',
  xdsAckLatency: 'gitmesh_xds_push_ack_latency_seconds',
} as const;

/** Options of Metrics. */
export interface MetricsOptions {
  /** Read at each scrape for `gitmesh_connected_proxies` (e.g. the ADS service's connected node ids); 0 when left out. Must not throw. */
  readonly connectedProxies?: () => number;
  /** Also collect prom-client's process and Node.js metrics (`process_*`, `nodejs_*`) into the registry; default true. */
  readonly defaultMetrics?: boolean;
  /** Labels added to every series (e.g. `{ replica: 'a' }`). */
  readonly defaultLabels?: Readonly<Record<string, string>>;
}

/** Reconcile duration buckets: a no-op poll takes milliseconds, a large fetch + compile tens of seconds. */
const RECONCILE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
/** Push-to-ACK buckets: a local Envoy ACKs in milliseconds; a warming cluster or a slow client in seconds. */
const ACK_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * gitmesh's metrics and the registry that holds them. Long-lived: one per process (or per test).
 * The methods only update in-memory series and never throw; `text()` renders the exposition.
 */
export class Metrics {
  /** The registry behind `/metrics`; a private one, so two instances (tests, replicas in one process) never collide. */
  readonly registry: Registry;
  readonly #reconcileDuration: Histogram<'outcome'>;
  readonly #commitsApplied: Counter;
  readonly #commitsRejected: Counter;
  readonly #rollbacks: Counter;
  readonly #acks: Counter<'type'>;
  readonly #nacks: Counter<'type'>;
  readonly #ackLatency: Histogram<'type'>;

  constructor(options: MetricsOptions = {}) {
    const registry = new Registry();
    this.registry = registry;
    if (options.defaultLabels) registry.setDefaultLabels({ ...options.defaultLabels });
    const registers = [registry];
    this.#reconcileDuration = new Histogram({
      name: METRIC_NAMES.reconcileDuration,
      help: 'Time one reconcile took (fetch, load, validate, compile, publish), by outcome.',
      labelNames: ['outcome'],
      buckets: RECONCILE_BUCKETS,
      registers,
    });
    this.#commitsApplied = new Counter({ name: METRIC_NAMES.commitsApplied, help: 'Commits published to the proxies.', registers });
    this.#commitsRejected = new Counter({ name: METRIC_NAMES.commitsRejected, help: 'Commits refused (validation or compile errors); the proxies kept the last good snapshot.', registers });
    this.#rollbacks = new Counter({ name: METRIC_NAMES.rollbacks, help: 'Revisions rolled back because proxies NACKed them; the previous revision was served again.', registers });
    const read = options.connectedProxies;
    const connected: Gauge = new Gauge({
      name: METRIC_NAMES.connectedProxies,
      help: 'Node ids with at least one open ADS stream.',
      registers,
      collect: () => {
        let value = 0;
        try {
          value = read ? read() : 0;
        } catch {
          value = Number.NaN; // a failing reader shows as NaN rather than failing the scrape
        }
        connected.set(value);
      },
    });
    this.#acks = new Counter({ name: METRIC_NAMES.xdsAcks, help: 'xDS responses ACKed, by type (lds, rds, cds, eds, sds).', labelNames: ['type'], registers });
    this.#nacks = new Counter({ name: METRIC_NAMES.xdsNacks, help: 'xDS responses NACKed (error_detail set), by type.', labelNames: ['type'], registers });
    this.#ackLatency = new Histogram({
      name: METRIC_NAMES.xdsAckLatency,
      help: 'Time from sending an xDS response to its ACK, by type.',
      labelNames: ['type'],
      buckets: ACK_BUCKETS,
      registers,
    });
    // Every label value exists from the start, so rate() and absent() work before the first event.
    for (const outcome of RECONCILE_OUTCOMES) this.#reconcileDuration.zero({ outcome });
    for (const type of PUSH_ORDER) {
      this.#acks.inc({ type }, 0);
      this.#nacks.inc({ type }, 0);
      this.#ackLatency.zero({ type });
    }
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  }

  /** Records one reconcile: its duration by outcome, and counts an applied or a rejected commit. */
  reconciled(outcome: ReconcileOutcomeLabel, seconds: number): void {
    this.#reconcileDuration.observe({ outcome }, nonNegative(seconds));
    if (outcome === 'applied') this.#commitsApplied.inc();
    else if (outcome === 'rejected') this.#commitsRejected.inc();
  }

  /** Counts a NACK rollback. */
  rolledBack(): void {
    this.#rollbacks.inc();
  }

  /** Records an ACK of the latest response of `type`, `latencySeconds` after it was sent. */
  ack(type: XdsTypeName, latencySeconds: number): void {
    this.#acks.inc({ type });
    this.#ackLatency.observe({ type }, nonNegative(latencySeconds));
  }

  /** Records a NACK of `type`. */
  nack(type: XdsTypeName): void {
    this.#nacks.inc({ type });
  }

  /** ADS hooks that feed `ack` and `nack` (merge them into the ADS server's hooks). */
  adsHooks(): Required<Pick<AdsHooks, 'onAck' | 'onNack'>> {
    return {
      onAck: (_streamId, type, _version, latencyMs) => this.ack(type, latencyMs / 1000),
      onNack: (_streamId, type) => this.nack(type),
    };
  }

  /** The content type of `text()` (Prometheus text exposition 0.0.4). */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** Every series in the Prometheus text format, as served on `/metrics`. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}

function nonNegative(value: number): number {
  return Number.isFinite(value) && value > 0 ? value : 0;
}
