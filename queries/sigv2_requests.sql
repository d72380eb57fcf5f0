-- Requests signed with Signature Version 2, from additionalEventData.SignatureVersion:
-- the ground truth, whatever the client claims to be. QueryString means a presigned URL.
-- needs: events
SELECT
  principal_arn,
  source_ip,
  user_agent,
  auth_method,
  bucket,
  event_name,
  count(*) AS requests,
  min(event_time) AS first_seen,
  max(event_time) AS last_seen
FROM events
WHERE signature_version = 'SigV2'
GROUP BY principal_arn, source_ip, user_agent, auth_method, bucket, event_name
ORDER BY requests DESC, principal_arn, source_ip, user_agent, auth_method, bucket, event_name
