// Realistic xDS resources in canonical proto3 JSON, as the compiler will write them: fixtures for the codec tests.
import type { XdsJsonObject } from '../../src/xds/encode.js';

const T = 'type.googleapis.com/';
const ADS = { ads: {}, resource_api_version: 'V3' };
const sds = (name: string) => ({ name, sds_config: ADS });

/** An Envoy sidecar's inbound HTTP listener: mTLS, HCM with RBAC, fault, local rate limit and router, access logs. */
export const INBOUND_LISTENER: XdsJsonObject = {
  name: 'self_inbound_dp_http',
  address: { socket_address: { address: '10.0.0.5', port_value: 8080 } },
  stat_prefix: 'self_inbound_dp_http',
  filter_chains: [
    {
      filter_chain_match: { transport_protocol: 'tls', application_protocols: ['kuma'] },
      filters: [
        {
          name: 'envoy.filters.network.http_connection_manager',
          typed_config: {
            '@type': `${T}envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager`,
            stat_prefix: 'self_inbound_dp_http',
            route_config: {
              name: 'self_inbound_dp_http',
              virtual_hosts: [
                {
                  name: 'backend',
                  domains: ['*'],
                  routes: [{ match: { prefix: '/' }, route: { cluster: 'self_inbound_dp_http', timeout: '15s', idle_timeout: '1800s' } }],
                },
              ],
              validate_clusters: false,
            },
            http_filters: [
              {
                name: 'envoy.filters.http.rbac',
                typed_config: {
                  '@type': `${T}envoy.extensions.filters.http.rbac.v3.RBAC`,
                  rules: {
                    policies: {
                      'kri_mtp_default___allow-web_': {
                        permissions: [{ any: true }],
                        principals: [
                          { authenticated: { principal_name: { exact: 'spiffe://default/web' } } },
                          {
                            or_ids: {
                              ids: [
                                { authenticated: { principal_name: { prefix: 'spiffe://default/admin-' } } },
                                { not_id: { authenticated: { principal_name: { suffix: '-legacy' } } } },
                              ],
                            },
                          },
                        ],
                      },
                      'kri_mtp_default___deny-batch_': {
                        permissions: [{ any: true }],
                        principals: [{ authenticated: { principal_name: { safe_regex: { regex: 'spiffe://default/batch-[0-9]+' } } } }],
                      },
                    },
                  },
                  shadow_rules: { action: 'DENY', policies: { 'kri_mtp_default___shadow_': { permissions: [{ any: true }], principals: [{ any: true }] } } },
                  shadow_rules_stat_prefix: 'shadow_',
                },
              },
              {
                name: 'envoy.filters.http.fault',
                typed_config: {
                  '@type': `${T}envoy.extensions.filters.http.fault.v3.HTTPFault`,
                  delay: { fixed_delay: '5s', percentage: { numerator: 250, denominator: 'TEN_THOUSAND' } },
                  abort: { http_status: 503, percentage: { numerator: 50 } },
                  headers: [{ name: 'x-kuma-tags', string_match: { safe_regex: { regex: '.*&kuma.io/service=[^&]*web[,&].*' } } }],
                  response_rate_limit: { fixed_limit: { limit_kbps: '1024' }, percentage: { numerator: 100 } },
                },
              },
              {
                name: 'envoy.filters.http.local_ratelimit',
                typed_config: {
                  '@type': `${T}envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit`,
                  stat_prefix: 'rate_limit',
                  status: { code: 'TooManyRequests' },
                  token_bucket: { max_tokens: 100, tokens_per_fill: 100, fill_interval: '1s' },
                  filter_enabled: { default_value: { numerator: 100 }, runtime_key: 'local_rate_limit_enabled' },
                  filter_enforced: { default_value: { numerator: 100 }, runtime_key: 'local_rate_limit_enforced' },
                  response_headers_to_add: [{ header: { key: 'x-gitmesh-rate-limited', value: 'true' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }],
                },
              },
              { name: 'envoy.filters.http.router', typed_config: { '@type': `${T}envoy.extensions.filters.http.router.v3.Router` } },
            ],
            common_http_protocol_options: { idle_timeout: '0s' },
            stream_idle_timeout: '1800s',
            request_headers_timeout: '0.5s',
            access_log: [
              {
                name: 'envoy.access_loggers.file',
                typed_config: {
                  '@type': `${T}envoy.extensions.access_loggers.file.v3.FileAccessLog`,
                  path: '/dev/stdout',
                  log_format: {
                    json_format: { start_time: '%START_TIME%', status: '%RESPONSE_CODE%', mesh: 'default', bytes: 0, sampled: true, tags: ['a', null] },
                    omit_empty_values: true,
                  },
                },
              },
              {
                name: 'envoy.access_loggers.open_telemetry',
                typed_config: {
                  '@type': `${T}envoy.extensions.access_loggers.open_telemetry.v3.OpenTelemetryAccessLogConfig`,
                  common_config: { log_name: 'gitmesh', grpc_service: { envoy_grpc: { cluster_name: 'meshaccesslog_opentelemetry_0' } }, transport_api_version: 'V3' },
                  body: { string_value: '%KUMA_MESH% %RESPONSE_CODE%' },
                  attributes: { values: [{ key: 'mesh', value: { string_value: 'default' } }, { key: 'attempt', value: { int_value: '3' } }] },
                },
              },
            ],
          },
        },
      ],
      transport_socket: {
        name: 'envoy.transport_sockets.tls',
        typed_config: {
          '@type': `${T}envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext`,
          common_tls_context: {
            tls_params: { tls_minimum_protocol_version: 'TLSv1_2', cipher_suites: ['ECDHE-ECDSA-AES128-GCM-SHA256'] },
            tls_certificate_sds_secret_configs: [sds('identity_cert:secret:default')],
            combined_validation_context: {
              default_validation_context: { match_typed_subject_alt_names: [{ san_type: 'URI', matcher: { prefix: 'spiffe://default/' } }] },
              validation_context_sds_secret_config: sds('mesh_ca:secret:default'),
            },
            alpn_protocols: ['kuma'],
          },
          require_client_certificate: true,
        },
      },
      name: 'self_inbound_dp_http',
    },
  ],
  metadata: { filter_metadata: { 'io.gitmesh': { kri: 'self_inbound_dp_http', policies: ['MeshTrafficPermission/allow-web', 'MeshFaultInjection/chaos'] } } },
  listener_filters: [{ name: 'envoy.filters.listener.tls_inspector', typed_config: { '@type': `${T}envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector` } }],
  traffic_direction: 'INBOUND',
  enable_reuse_port: false,
};

/** An inbound TCP listener: network RBAC, network local rate limit, TCP proxy with a weighted split. */
export const TCP_LISTENER: XdsJsonObject = {
  name: 'self_inbound_dp_redis',
  address: { socket_address: { address: '10.0.0.5', port_value: 6379 } },
  filter_chains: [
    {
      filters: [
        {
          name: 'envoy.filters.network.local_ratelimit',
          typed_config: {
            '@type': `${T}envoy.extensions.filters.network.local_ratelimit.v3.LocalRateLimit`,
            stat_prefix: 'tcp_rate_limit',
            token_bucket: { max_tokens: 10, tokens_per_fill: 10, fill_interval: '60s' },
          },
        },
        {
          name: 'envoy.filters.network.rbac',
          typed_config: {
            '@type': `${T}envoy.extensions.filters.network.rbac.v3.RBAC`,
            rules: { action: 'DENY', policies: { 'kri_mtp_default___deny-all_': { permissions: [{ any: true }], principals: [{ any: true }] } } },
            stat_prefix: 'self_inbound_dp_redis.',
          },
        },
        {
          name: 'envoy.filters.network.tcp_proxy',
          typed_config: {
            '@type': `${T}envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy`,
            stat_prefix: 'self_inbound_dp_redis',
            weighted_clusters: { clusters: [{ name: 'redis-a', weight: 90 }, { name: 'redis-b', weight: 10 }] },
            idle_timeout: '3600s',
            access_log: [{ name: 'envoy.access_loggers.file', typed_config: { '@type': `${T}envoy.extensions.access_loggers.file.v3.FileAccessLog`, path: '/var/log/tcp.log', log_format: { text_format_source: { inline_string: '[%START_TIME%] %UPSTREAM_HOST%\n' } } } }],
            max_connect_attempts: 5,
          },
        },
      ],
    },
  ],
  traffic_direction: 'INBOUND',
};

/** An EDS cluster with everything MeshCircuitBreaker, MeshHealthCheck, MeshTimeout, MeshLoadBalancingStrategy and mTLS set. */
export const CLUSTER: XdsJsonObject = {
  name: 'backend',
  type: 'EDS',
  eds_cluster_config: { eds_config: ADS, service_name: 'backend' },
  connect_timeout: '5s',
  lb_policy: 'LEAST_REQUEST',
  health_checks: [
    {
      timeout: '15s',
      interval: '60s',
      initial_jitter: '0.1s',
      unhealthy_threshold: 5,
      healthy_threshold: 1,
      reuse_connection: true,
      http_health_check: {
        path: '/health',
        request_headers_to_add: [{ header: { key: 'x-health', value: 'gitmesh' }, append_action: 'ADD_IF_ABSENT' }],
        expected_statuses: [{ start: '200', end: '300' }],
      },
      no_traffic_interval: '60s',
      event_logger: [{ name: 'envoy.health_check.event_sinks.file', typed_config: { '@type': `${T}envoy.extensions.health_check.event_sinks.file.v3.HealthCheckEventFileSink`, event_log_path: '/tmp/hc.log' } }],
      always_log_health_check_failures: true,
    },
    { timeout: '1s', interval: '10s', unhealthy_threshold: 3, healthy_threshold: 2, tcp_health_check: { send: { text: '50494e47' }, receive: [{ binary: 'UE9ORw==' }] } },
  ],
  circuit_breakers: {
    thresholds: [{ max_connections: 1024, max_pending_requests: 1024, max_requests: 1024, max_retries: 3, track_remaining: true, max_connection_pools: 0 }],
  },
  typed_extension_protocol_options: {
    'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
      '@type': `${T}envoy.extensions.upstreams.http.v3.HttpProtocolOptions`,
      common_http_protocol_options: { idle_timeout: '3600s', max_connection_duration: '0s', max_stream_duration: '0s' },
      explicit_http_config: { http2_protocol_options: {} },
    },
  },
  outlier_detection: {
    consecutive_5xx: 5,
    interval: '10s',
    base_ejection_time: '30s',
    max_ejection_percent: 20,
    enforcing_consecutive_5xx: 100,
    enforcing_success_rate: 0,
    success_rate_minimum_hosts: 5,
    success_rate_request_volume: 100,
    success_rate_stdev_factor: 1900,
    consecutive_gateway_failure: 3,
    enforcing_consecutive_gateway_failure: 100,
    split_external_local_origin_errors: true,
    consecutive_local_origin_failure: 5,
    enforcing_consecutive_local_origin_failure: 0,
    failure_percentage_threshold: 85,
    enforcing_failure_percentage: 100,
  },
  least_request_lb_config: { choice_count: 2, active_request_bias: { default_value: 1.5, runtime_key: 'lb.bias' } },
  common_lb_config: { healthy_panic_threshold: { value: 50 }, locality_weighted_lb_config: {} },
  transport_socket: {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': `${T}envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext`,
      common_tls_context: {
        tls_certificate_sds_secret_configs: [sds('identity_cert:secret:default')],
        combined_validation_context: {
          default_validation_context: { match_typed_subject_alt_names: [{ san_type: 'URI', matcher: { exact: 'spiffe://default/backend' } }] },
          validation_context_sds_secret_config: sds('mesh_ca:secret:default'),
        },
        alpn_protocols: ['kuma'],
      },
      sni: 'backend{mesh=default}',
    },
  },
  metadata: { filter_metadata: { 'io.gitmesh': { kri: 'kri_msvc_default___backend_http', weight: 1.25 } } },
};

/** Endpoints in two localities and two priorities, as MeshLoadBalancingStrategy failover writes them. */
export const LOAD_ASSIGNMENT: XdsJsonObject = {
  cluster_name: 'backend',
  endpoints: [
    {
      locality: { zone: 'zone-a' },
      lb_endpoints: [
        {
          endpoint: { address: { socket_address: { address: '10.0.0.7', port_value: 8080 } } },
          health_status: 'HEALTHY',
          metadata: { filter_metadata: { 'envoy.lb': { 'kuma.io/zone': 'zone-a', version: 'v1' } } },
          load_balancing_weight: 1,
        },
        { endpoint: { address: { socket_address: { address: '10.0.0.8', port_value: 8080 } } }, health_status: 'DRAINING', load_balancing_weight: 1 },
      ],
      load_balancing_weight: 90,
    },
    {
      locality: { region: 'eu', zone: 'zone-b', sub_zone: 'rack-1' },
      lb_endpoints: [{ endpoint: { address: { socket_address: { address: 'fd00::9', port_value: 8080 } }, hostname: 'backend-9' }, health_status: 'UNHEALTHY' }],
      load_balancing_weight: 10,
      priority: 1,
    },
  ],
  policy: { overprovisioning_factor: 200 },
};

/** An outbound route table: matches, weighted split, retries, timeouts, hashing, mirror, rewrite, redirect. */
export const ROUTE_CONFIGURATION: XdsJsonObject = {
  name: 'kri_msvc_default___backend_http',
  virtual_hosts: [
    {
      name: 'backend',
      domains: ['*'],
      routes: [
        {
          match: {
            path: '/api',
            headers: [
              { name: 'x-version', string_match: { exact: 'v2' } },
              { name: ':method', string_match: { exact: 'GET' } },
              { name: 'x-canary', present_match: true, invert_match: true },
            ],
            query_parameters: [{ name: 'debug', present_match: true }, { name: 'user', string_match: { prefix: 'test-', ignore_case: true } }],
          },
          route: {
            weighted_clusters: {
              clusters: [
                { name: 'backend-v1', weight: 90 },
                { name: 'backend-v2', weight: 10, request_headers_to_add: [{ header: { key: 'x-split', value: 'v2' } }] },
              ],
            },
            timeout: '15s',
            retry_policy: {
              retry_on: 'gateway-error,connect-failure,refused-stream',
              num_retries: 5,
              per_try_timeout: '16s',
              retry_priority: {
                name: 'envoy.retry_priorities.previous_priorities',
                typed_config: { '@type': `${T}envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig`, update_frequency: 2 },
              },
              retry_host_predicate: [
                { name: 'envoy.retry_host_predicates.previous_hosts', typed_config: { '@type': `${T}envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate` } },
                {
                  name: 'envoy.retry_host_predicates.omit_host_metadata',
                  typed_config: {
                    '@type': `${T}envoy.extensions.retry.host.omit_host_metadata.v3.OmitHostMetadataConfig`,
                    metadata_match: { filter_metadata: { 'envoy.lb': { 'kuma.io/zone': 'zone-b' } } },
                  },
                },
              ],
              host_selection_retry_max_attempts: '3',
              retriable_status_codes: [503, 504],
              retry_back_off: { base_interval: '0.025s', max_interval: '0.25s' },
              rate_limited_retry_back_off: {
                reset_headers: [{ name: 'retry-after' }, { name: 'x-ratelimit-reset', format: 'UNIX_TIMESTAMP' }],
                max_interval: '300s',
              },
              retriable_headers: [{ name: 'x-retry', present_match: true }],
              retriable_request_headers: [{ name: ':method', string_match: { exact: 'GET' } }],
            },
            request_mirror_policies: [{ cluster: 'backend-shadow', runtime_fraction: { default_value: { numerator: 10 } } }],
            hash_policy: [{ header: { header_name: 'x-user' }, terminal: true }, { cookie: { name: 'session', ttl: '3600s', path: '/' } }, { connection_properties: { source_ip: true } }],
            idle_timeout: '1800s',
            max_stream_duration: { max_stream_duration: '0s', grpc_timeout_header_max: '0s' },
          },
          typed_per_filter_config: {
            'envoy.filters.http.local_ratelimit': {
              '@type': `${T}envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit`,
              stat_prefix: 'route_rate_limit',
              token_bucket: { max_tokens: 5, tokens_per_fill: 5, fill_interval: '1s' },
            },
            'envoy.filters.http.fault': {
              '@type': `${T}envoy.config.route.v3.FilterConfig`,
              config: { '@type': `${T}envoy.extensions.filters.http.fault.v3.HTTPFault`, abort: { grpc_status: 14, percentage: { numerator: 5 } } },
              is_optional: true,
            },
          },
          name: 'api-v2',
        },
        {
          match: { safe_regex: { regex: '^/v[0-9]+/.*' } },
          route: { cluster: 'backend', regex_rewrite: { pattern: { regex: '^/v[0-9]+' }, substitution: '/api' }, host_rewrite_literal: 'backend.internal', timeout: '0s' },
          name: 'versioned',
        },
        {
          match: { prefix: '/old/', case_sensitive: false },
          redirect: { https_redirect: true, host_redirect: 'new.example.com', prefix_rewrite: '/new/', response_code: 'PERMANENT_REDIRECT', port_redirect: 8443 },
          name: 'moved',
        },
        { match: { prefix: '/internal/health' }, non_forwarding_action: {}, name: 'health' },
        {
          match: { prefix: '/' },
          route: { cluster: 'backend', prefix_rewrite: '/', timeout: '15s' },
          request_headers_to_add: [{ header: { key: 'x-mesh', value: 'default' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }],
          request_headers_to_remove: ['x-internal'],
          response_headers_to_add: [{ header: { key: 'x-served-by', value: 'gitmesh' }, keep_empty_value: true }],
          response_headers_to_remove: ['server'],
          name: 'default',
        },
      ],
    },
  ],
  validate_clusters: false,
};

/** What a proxyless gRPC client gets for `xds:///backend`: api_listener + HCM with RDS over ADS + router. */
export const PROXYLESS_LISTENER: XdsJsonObject = {
  name: 'backend',
  api_listener: {
    api_listener: {
      '@type': `${T}envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager`,
      rds: { config_source: ADS, route_config_name: 'backend' },
      http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': `${T}envoy.extensions.filters.http.router.v3.Router` } }],
    },
  },
};

/** The proxyless route table: a split with a timeout, a retry policy and a stream duration cap. */
export const PROXYLESS_ROUTES: XdsJsonObject = {
  name: 'backend',
  virtual_hosts: [
    {
      name: 'backend',
      domains: ['backend', 'backend:8080'],
      routes: [
        {
          match: { prefix: '/echo.Echo/', headers: [{ name: 'x-canary', string_match: { exact: 'true' } }] },
          route: { cluster: 'backend-canary', timeout: '2s' },
        },
        {
          match: { prefix: '' },
          route: {
            weighted_clusters: { clusters: [{ name: 'backend-v1', weight: 90 }, { name: 'backend-v2', weight: 10 }] },
            timeout: '15s',
            retry_policy: { retry_on: 'unavailable,cancelled', num_retries: 2, retry_back_off: { base_interval: '0.025s', max_interval: '0.25s' } },
            max_stream_duration: { max_stream_duration: '30s' },
          },
        },
      ],
    },
  ],
};

/** The proxyless cluster: EDS over ADS, round robin (the default, so not written), circuit breaker, outlier detection. */
export const PROXYLESS_CLUSTER: XdsJsonObject = {
  name: 'backend-v1',
  type: 'EDS',
  eds_cluster_config: { eds_config: ADS, service_name: 'backend-v1' },
  connect_timeout: '5s',
  circuit_breakers: { thresholds: [{ max_requests: 100 }] },
  outlier_detection: { interval: '10s', base_ejection_time: '30s', max_ejection_percent: 20, enforcing_success_rate: 0, enforcing_failure_percentage: 100, failure_percentage_threshold: 85 },
};

/** The proxyless endpoints: one locality with its weight, IP literals. */
export const PROXYLESS_LOAD_ASSIGNMENT: XdsJsonObject = {
  cluster_name: 'backend-v1',
  endpoints: [
    {
      locality: { zone: 'zone-a' },
      lb_endpoints: [
        { endpoint: { address: { socket_address: { address: '10.0.0.7', port_value: 50051 } } }, health_status: 'HEALTHY' },
        { endpoint: { address: { socket_address: { address: '10.0.0.8', port_value: 50051 } } } },
      ],
      load_balancing_weight: 1,
    },
  ],
};
