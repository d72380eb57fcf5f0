-- Findings: one row per (principal ARN, source IP, user agent) with at least one reason.
-- Agents that differ only in the `m/` feature list of the UA 2.1 format are one client.
-- List columns are comma-joined, sorted text so Athena and DuckDB return the same shape.
-- Beside all requests, the SigV2 and legacy-TLS ones and those that failed (an error code: a client that already
-- fails is not one that still works). Ranked by SigV2 requests, then legacy TLS, then outdated (the reasons' order).
-- needs: events, agent_clients
WITH
client_groups AS (
  SELECT
    e.principal_arn,
    e.source_ip,
    e.agent_key,
    min(coalesce(e.user_agent, '')) AS user_agent,
    max(e.account_id) AS account_id,
    max(c.client) AS client,
    max(c.client_version) AS client_version,
    max(c.sigv4_default_version) AS sigv4_default_version,
    max(CASE WHEN c.outdated THEN 1 ELSE 0 END) AS outdated,
    sum(CASE WHEN e.signature_version = 'SigV2' THEN 1 ELSE 0 END) AS sigv2_requests,
    sum(CASE WHEN e.legacy_tls THEN 1 ELSE 0 END) AS legacy_tls_requests,
    sum(CASE WHEN e.error_code IS NOT NULL THEN 1 ELSE 0 END) AS failed_requests,
    array_join(array_sort(array_agg(DISTINCT e.signature_version) FILTER (WHERE e.signature_version IS NOT NULL)), ',') AS signature_versions,
    array_join(array_sort(array_agg(DISTINCT e.tls_version) FILTER (WHERE e.tls_version IS NOT NULL)), ',') AS tls_versions,
    array_join(array_sort(array_agg(DISTINCT e.auth_method) FILTER (WHERE e.auth_method IS NOT NULL)), ',') AS auth_methods,
    count(*) AS requests,
    array_join(array_sort(array_agg(DISTINCT e.bucket) FILTER (WHERE e.bucket IS NOT NULL)), ',') AS buckets,
    array_join(array_sort(array_agg(DISTINCT e.event_name) FILTER (WHERE e.event_name IS NOT NULL)), ',') AS event_names,
    array_join(array_sort(array_agg(DISTINCT e.aws_region) FILTER (WHERE e.aws_region IS NOT NULL)), ',') AS regions,
    min(e.event_time) AS first_seen,
    max(e.event_time) AS last_seen
  FROM events AS e
  LEFT JOIN agent_clients AS c ON c.user_agent = e.user_agent
  WHERE e.principal_arn IS NOT NULL
  GROUP BY e.principal_arn, e.source_ip, e.agent_key
)
SELECT
  principal_arn,
  account_id,
  source_ip,
  user_agent,
  client,
  client_version,
  sigv4_default_version,
  signature_versions,
  tls_versions,
  auth_methods,
  {reasons} AS reasons,
  requests,
  sigv2_requests,
  legacy_tls_requests,
  failed_requests,
  buckets,
  event_names,
  regions,
  first_seen,
  last_seen
FROM client_groups
WHERE {any_reason}
ORDER BY {finding_order}, requests DESC, principal_arn, source_ip, user_agent
