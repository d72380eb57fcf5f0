-- Source fragment: CloudTrail S3 data events as the common event columns (detector/core/events.py).
-- Parameters: first and last log_date ('yyyy/MM/dd'), the delivery days the window reads.
-- Over an organization trail every query names its accounts and regions (injected projection needs the literals),
-- and reads a request between two of its accounts once: CloudTrail delivers it to the requester and to the bucket
-- owner, both copies sharing a sharedEventID; the requester's copy is kept, the owner's only when the requester's
-- account is not read.
source_events AS (
  SELECT
    eventtime AS event_time,
    eventname AS event_name,
    awsregion AS aws_region,
    useridentity.arn AS principal_arn,
    useridentity.accountid AS account_id,
    useridentity.invokedby AS invoked_by,
    sourceipaddress AS source_ip,
    useragent AS user_agent,
    json_extract_scalar(requestparameters, '$.bucketName') AS bucket,
    json_extract_scalar(additionaleventdata, '$.SignatureVersion') AS signature_version,
    json_extract_scalar(additionaleventdata, '$.AuthenticationMethod') AS auth_method,
    tlsdetails.tlsversion AS tls_version,
    errorcode AS error_code,
    requestid AS request_id
  FROM {table}
  WHERE log_date BETWEEN ? AND ?
    AND account IN ({accounts}) AND region IN ({regions})  -- scope: organization
    AND (sharedeventid IS NULL OR useridentity.accountid = account  -- scope: organization
      OR coalesce(useridentity.accountid, '') NOT IN ({accounts}))  -- scope: organization
    AND eventsource = 's3.amazonaws.com'
)
