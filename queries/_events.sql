-- Fragment: the window's S3 requests from the source, in the common event columns, AWS-originated traffic left out.
-- legacy_tls: the request used TLS 1.0 or 1.1 (compared case-insensitively: access logs write TLSV1.2).
-- agent_key is the user agent without the `m/` feature list that UA 2.1 clients change per operation.
-- Parameters: after the source's, the event time from (inclusive) and to (exclusive), ISO 8601 text.
-- needs: source_events
events AS (
  SELECT
    event_time,
    event_name,
    aws_region,
    principal_arn,
    account_id,
    source_ip,
    user_agent,
    regexp_replace(coalesce(user_agent, ''), {agent_features}, '') AS agent_key,
    bucket,
    signature_version,
    auth_method,
    tls_version,
    coalesce(upper(tls_version) IN ({legacy_tls_versions}), false) AS legacy_tls,
    error_code,
    request_id
  FROM source_events
  WHERE event_time >= ? AND event_time < ?
    AND invoked_by IS NULL
    AND coalesce(source_ip, '') NOT LIKE '%amazonaws.com'
    AND coalesce(source_ip, '') <> 'AWS Internal'
    AND coalesce(user_agent, '') NOT LIKE '%amazonaws.com%'
    AND coalesce(user_agent, '') NOT LIKE '%aws-internal%'
    AND coalesce(user_agent, '') NOT LIKE '%S3Console%'
    AND coalesce(user_agent, '') NOT LIKE '%AWSConsole%'
    AND coalesce(user_agent, '') NOT LIKE '%StorageGateway%'
)
