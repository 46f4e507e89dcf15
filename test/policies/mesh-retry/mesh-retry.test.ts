import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { grpcRetryPolicy, httpRetryPolicy } from '../../../src/policies/mesh-retry/compile.js';
import type { OutboundContext } from '../../../src/policies/types.js';
import { registerPolicyCases } from '../../helpers/cases.js';
import { registerGoldenCases } from '../../helpers/compile-cases.js';

registerPolicyCases('mesh-retry');
registerGoldenCases('test/policies/mesh-retry/cases', 'mesh-retry');

const ctx = { report: () => undefined, outbound: { service: 'backend' }, proxy: { id: 'default.web-1' } } as unknown as OutboundContext;

test('mesh-retry: status codes and methods alone keep the default conditions, plus retriable-status-codes', () => {
  const policy = httpRetryPolicy({ retryOn: ['503', '429', 'HttpMethodPost'] }, ctx)!;
  assert.is(policy.retry_on, 'gateway-error,connect-failure,refused-stream,retriable-status-codes');
  assert.equal(policy.retriable_status_codes, [503, 429]);
  assert.equal(policy.retriable_request_headers, [{ name: ':method', string_match: { exact: 'POST' } }]);
  assert.is(policy.num_retries, undefined, 'num_retries is left to Envoy (1) when unset');
});

test('mesh-retry: a back-off with only a small maxInterval gets a base no larger than it', () => {
  assert.equal(httpRetryPolicy({ backOff: { maxInterval: '10ms' } }, ctx)!.retry_back_off, { base_interval: '0.01s', max_interval: '0.01s' });
  assert.equal(grpcRetryPolicy({ backOff: { baseInterval: '40ms' } })!.retry_back_off, { base_interval: '0.04s' });
});

test('mesh-retry: numRetries 0 means no retry policy at all, for HTTP and gRPC', () => {
  assert.is(httpRetryPolicy({ numRetries: 0, retryOn: ['5xx'] }, ctx), undefined);
  assert.is(grpcRetryPolicy({ numRetries: 0 }), undefined);
});

test('mesh-retry: gRPC conditions default to Kuma\'s list', () => {
  assert.is(grpcRetryPolicy({ numRetries: 2 })!.retry_on, 'cancelled,connect-failure,gateway-error,refused-stream,reset,resource-exhausted,unavailable');
});

test.run();
