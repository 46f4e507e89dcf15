// The metrics registry: gitmesh_ names with units, every label value present from the start, private registries, and a failing reader.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { METRIC_NAMES, Metrics } from '../../src/reconcile/metrics.js';

/** The value of one series in the text exposition, or undefined when it is absent. */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('names follow Prometheus conventions: gitmesh_ prefix, _seconds for durations, _total for counters', () => {
  for (const name of Object.values(METRIC_NAMES)) assert.match(name, /^gitmesh_[a-z_]+$/);
  assert.match(METRIC_NAMES.reconcileDuration, /_seconds$/);
  assert.match(METRIC_NAMES.xdsAckLatency, /_seconds$/);
  for (const counter of [METRIC_NAMES.commitsApplied, METRIC_NAMES.commitsRejected, METRIC_NAMES.xdsAcks, METRIC_NAMES.xdsNacks]) assert.match(counter, /_total$/);
});

test('every outcome and xDS type is exported at 0 before the first event', async () => {
  const text = await new Metrics({ defaultMetrics: false }).text();
  for (const outcome of ['applied', 'rejected', 'unchanged', 'failed']) assert.is(value(text, `gitmesh_reconcile_duration_seconds_count{outcome="${outcome}"}`), 0, outcome);
  for (const type of ['lds', 'rds', 'cds', 'eds', 'sds']) {
    assert.is(value(text, `gitmesh_xds_acks_total{type="${type}"}`), 0, type);
    assert.is(value(text, `gitmesh_xds_nacks_total{type="${type}"}`), 0, type);
    assert.is(value(text, `gitmesh_xds_push_ack_latency_seconds_count{type="${type}"}`), 0, type);
  }
  assert.is(value(text, 'gitmesh_connected_proxies'), 0);
});

test('reconciled counts applied and rejected commits; unchanged and failed only time the run', async () => {
  // given a fresh registry
  const metrics = new Metrics({ defaultMetrics: false });
  // when four reconciles of each outcome are reported
  for (const outcome of ['applied', 'rejected', 'unchanged', 'failed'] as const) metrics.reconciled(outcome, 0.3);
  metrics.reconciled('applied', Number.NaN);
  // then
  const text = await metrics.text();
  assert.is(value(text, 'gitmesh_commits_applied_total'), 2);
  assert.is(value(text, 'gitmesh_commits_rejected_total'), 1);
  assert.is(value(text, 'gitmesh_reconcile_duration_seconds_count{outcome="failed"}'), 1);
  assert.is(value(text, 'gitmesh_reconcile_duration_seconds_bucket{le="0.25",outcome="unchanged"}'), 0);
  assert.is(value(text, 'gitmesh_reconcile_duration_seconds_bucket{le="0.5",outcome="unchanged"}'), 1);
  assert.is(value(text, 'gitmesh_reconcile_duration_seconds_sum{outcome="applied"}'), 0.3, 'a NaN duration counts as 0');
});

test('the connected-proxies gauge reads the function at each scrape', async () => {
  let connected = 3;
  const metrics = new Metrics({ defaultMetrics: false, connectedProxies: () => connected });
  assert.is(value(await metrics.text(), 'gitmesh_connected_proxies'), 3);
  connected = 7;
  assert.is(value(await metrics.text(), 'gitmesh_connected_proxies'), 7);
});

test('two Metrics instances never share series (each has its own registry)', async () => {
  const a = new Metrics({ defaultMetrics: false });
  const b = new Metrics({ defaultMetrics: false });
  a.reconciled('applied', 1);
  assert.is(value(await a.text(), 'gitmesh_commits_applied_total'), 1);
  assert.is(value(await b.text(), 'gitmesh_commits_applied_total'), 0);
  assert.not.ok((await b.text()).includes('process_cpu'));
  const withDefaults = new Metrics({ defaultLabels: { replica: 'r1' } });
  assert.ok((await withDefaults.text()).includes('process_cpu_user_seconds_total{replica="r1"}'));
});

test('a reader that throws shows NaN and does not fail the scrape', async () => {
  const failing = new Metrics({ defaultMetrics: false, connectedProxies: () => { throw new Error('gone'); } });
  // prom-client writes NaN as `Nan`; Prometheus parses it case-insensitively
  assert.match(await failing.text(), /^gitmesh_connected_proxies nan$/im);
});

test.run();
