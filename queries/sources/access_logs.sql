-- Source fragment: S3 server access logs as the common event columns (detector/core/events.py).
-- Parameters: first and last log_date ('yyyy/MM/dd'), the delivery days the window reads.
-- `-` (unknown or not applicable) reads as NULL. A line that is not a record is an all-NULL row in Athena and left out.
-- A record delivered twice (delivery is best effort) is read once. One request can log several records, told apart
-- by bucket, operation and key (a copy logs its GET and its PUT half); a delivered copy repeats all of them.
-- The requester is NULL when anonymous; `svc:<service>` and `AmazonS3` (lifecycle) are AWS acting itself.
-- The region is the source bucket's from the key, else the one in the Host header (the simple key layout has none).
-- Over an organization's access logs every query names their accounts, regions and buckets (injected projection).
source_events AS (
  SELECT
    substr(requestdatetime, 8, 4) || '-'
      || CASE substr(requestdatetime, 4, 3)
        WHEN 'Jan' THEN '01' WHEN 'Feb' THEN '02' WHEN 'Mar' THEN '03' WHEN 'Apr' THEN '04'
        WHEN 'May' THEN '05' WHEN 'Jun' THEN '06' WHEN 'Jul' THEN '07' WHEN 'Aug' THEN '08'
        WHEN 'Sep' THEN '09' WHEN 'Oct' THEN '10' WHEN 'Nov' THEN '11' WHEN 'Dec' THEN '12'
      END
      || '-' || substr(requestdatetime, 1, 2) || 'T' || substr(requestdatetime, 13, 8) || 'Z' AS event_time,
    operation AS event_name,
    coalesce(
      region,
      nullif(regexp_extract(endpoint, '(?:^|\.)s3[.-](?:dualstack\.)?([a-z]{2,4}(?:-[a-z]+)+-[0-9]+)\.amazonaws\.com', 1), '')
    ) AS aws_region,
    CASE WHEN requester = '-' OR requester = 'AmazonS3' OR requester LIKE 'svc:%' THEN NULL ELSE requester END
      AS principal_arn,
    nullif(regexp_extract(requester, '^arn:aws[a-z-]*:(?:iam|sts)::([0-9]{12}):', 1), '') AS account_id,
    CASE
      WHEN requester LIKE 'svc:%' THEN substr(requester, 5)
      WHEN requester = 'AmazonS3' THEN 's3.amazonaws.com'
    END AS invoked_by,
    nullif(remoteip, '-') AS source_ip,
    nullif(useragent, '-') AS user_agent,
    nullif(bucket_name, '-') AS bucket,
    nullif(sigv, '-') AS signature_version,
    nullif(authtype, '-') AS auth_method,
    CASE WHEN upper(tlsversion) LIKE 'TLSV%' THEN 'TLSv' || substr(tlsversion, 5) ELSE nullif(tlsversion, '-') END
      AS tls_version,
    nullif(errorcode, '-') AS error_code,
    requestid AS request_id
  FROM (
    SELECT
      requestdatetime,
      operation,
      region,
      endpoint,
      requester,
      remoteip,
      useragent,
      bucket_name,
      sigv,
      authtype,
      tlsversion,
      errorcode,
      requestid,
      row_number() OVER (
        PARTITION BY requestid, bucket_name, operation, "key" ORDER BY log_date, requestdatetime
      ) AS delivered_copy
    FROM {table}
    WHERE log_date BETWEEN ? AND ?
      AND account IN ({accounts}) AND region IN ({regions}) AND bucket IN ({buckets})  -- scope: organization
      AND requestid IS NOT NULL
  ) AS records
  WHERE delivered_copy = 1
)
