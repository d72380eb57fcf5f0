-- Every requester by ARN, with how many of its requests were SigV2 or legacy TLS.
-- Anonymous requests have no ARN and are counted together on one row without a principal.
-- needs: events
SELECT
  principal_arn,
  count(*) AS requests,
  sum(CASE WHEN signature_version = 'SigV2' THEN 1 ELSE 0 END) AS sigv2_requests,
  sum(CASE WHEN legacy_tls THEN 1 ELSE 0 END) AS legacy_tls_requests,
  count(DISTINCT user_agent) AS user_agents,
  count(DISTINCT source_ip) AS source_ips
FROM events
GROUP BY principal_arn
ORDER BY requests DESC, principal_arn
