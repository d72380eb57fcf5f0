-- Fragment: S3 data events of the window, AWS-originated traffic left out.
-- legacy_tls: the request used TLS 1.0 or 1.1.
-- agent_key is the user agent without the `m/` feature list that UA 2.1 clients change per operation.
-- Parameters: first log_date, last log_date ('yyyy/MM/dd'), then eventTime from (inclusive) and to (exclusive).
events AS (
  SELECT
    eventtime AS event_time,
    eventname AS event_name,
    awsregion AS aws_region,
    useridentity.arn AS principal_arn,
    useridentity.accountid AS account_id,
    sourceipaddress AS source_ip,
    useragent AS user_agent,
    regexp_replace(coalesce(useragent, ''), ' m/[^ \]]*', '') AS agent_key,
    json_extract_scalar(requestparameters, '$.bucketName') AS bucket,
    json_extract_scalar(additionaleventdata, '$.SignatureVersion') AS signature_version,
    json_extract_scalar(additionaleventdata, '$.AuthenticationMethod') AS auth_method,
    tlsdetails.tlsversion AS tls_version,
    coalesce(tlsdetails.tlsversion IN ({legacy_tls_versions}), false) AS legacy_tls
  FROM {table}
  WHERE log_date BETWEEN ? AND ?
    AND eventtime >= ? AND eventtime < ?
    AND eventsource = 's3.amazonaws.com'
    AND useridentity.invokedby IS NULL
    AND coalesce(sourceipaddress, '') NOT LIKE '%amazonaws.com'
    AND coalesce(sourceipaddress, '') <> 'AWS Internal'
    AND coalesce(useragent, '') NOT LIKE '%amazonaws.com%'
    AND coalesce(useragent, '') NOT LIKE '%aws-internal%'
    AND coalesce(useragent, '') NOT LIKE '%S3Console%'
    AND coalesce(useragent, '') NOT LIKE '%AWSConsole%'
    AND coalesce(useragent, '') NOT LIKE '%StorageGateway%'
)
