-- Daily: each finding's SigV2, legacy-TLS and outdated-SDK requests per UTC day, the trend of each client.
-- A finding is (principal ARN, source IP, user agent); the agent is the finding's own, the least of the agents that
-- differ only in their `m/` list over the whole window, so a row names its finding exactly. Only days with such a
-- request.
-- needs: events, agent_clients
WITH
per_day AS (
  SELECT
    substr(e.event_time, 1, 10) AS day,
    e.principal_arn,
    e.source_ip,
    e.agent_key,
    min(coalesce(e.user_agent, '')) AS day_agent,
    sum(CASE WHEN e.signature_version = 'SigV2' THEN 1 ELSE 0 END) AS sigv2_requests,
    sum(CASE WHEN e.legacy_tls THEN 1 ELSE 0 END) AS legacy_tls_requests,
    sum(CASE WHEN c.outdated THEN 1 ELSE 0 END) AS outdated_requests
  FROM events AS e
  LEFT JOIN agent_clients AS c ON c.user_agent = e.user_agent
  WHERE e.principal_arn IS NOT NULL
  GROUP BY substr(e.event_time, 1, 10), e.principal_arn, e.source_ip, e.agent_key
),
named AS (
  SELECT
    day,
    principal_arn,
    source_ip,
    min(day_agent) OVER (PARTITION BY principal_arn, source_ip, agent_key) AS user_agent,
    sigv2_requests,
    legacy_tls_requests,
    outdated_requests
  FROM per_day
)
SELECT day, principal_arn, source_ip, user_agent, sigv2_requests, legacy_tls_requests, outdated_requests
FROM named
WHERE sigv2_requests > 0 OR legacy_tls_requests > 0 OR outdated_requests > 0
ORDER BY day, principal_arn, source_ip, user_agent
