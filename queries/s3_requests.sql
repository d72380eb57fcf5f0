-- S3 data events of the window without AWS-originated traffic (console, CloudTrail, Athena,
-- Storage Gateway, CloudFront, services calling by DNS name), by requester and client.
-- Anonymous requests have no principal ARN and appear without one.
-- needs: events
SELECT
  principal_arn,
  source_ip,
  user_agent,
  count(*) AS requests,
  min(event_time) AS first_seen,
  max(event_time) AS last_seen
FROM events
GROUP BY principal_arn, source_ip, user_agent
ORDER BY requests DESC, principal_arn, source_ip, user_agent
