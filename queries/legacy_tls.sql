-- Requests over TLS 1.0 or 1.1 (tlsDetails.tlsVersion; absent before eventVersion 1.08).
-- needs: events
SELECT
  principal_arn,
  source_ip,
  user_agent,
  tls_version,
  count(*) AS requests,
  min(event_time) AS first_seen,
  max(event_time) AS last_seen
FROM events
WHERE legacy_tls
GROUP BY principal_arn, source_ip, user_agent, tls_version
ORDER BY requests DESC, principal_arn, source_ip, user_agent, tls_version
