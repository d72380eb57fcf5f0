-- Buckets: one row per bucket and region, with its SigV2 and legacy-TLS requests, who sent them and when last.
-- A bucket with neither for the whole window is ready for a policy that denies them (the report prints it).
-- Principals are those of the SigV2 or legacy-TLS requests; an unsigned one counts as `anonymous`.
-- accepts_sigv2: the region is one of the eight where S3 still accepts SigV2 (on buckets made before 2020-06-24).
-- needs: events
SELECT
  bucket,
  aws_region,
  CASE WHEN aws_region IN ({sigv2_regions}) THEN true ELSE false END AS accepts_sigv2,
  count(*) AS requests,
  sum(CASE WHEN signature_version = 'SigV2' THEN 1 ELSE 0 END) AS sigv2_requests,
  sum(CASE WHEN legacy_tls THEN 1 ELSE 0 END) AS legacy_tls_requests,
  array_join(array_sort(array_agg(DISTINCT coalesce(principal_arn, 'anonymous'))
    FILTER (WHERE signature_version = 'SigV2' OR legacy_tls)), ',') AS principals,
  min(event_time) AS first_seen,
  max(event_time) AS last_seen,
  max(CASE WHEN signature_version = 'SigV2' THEN event_time END) AS last_sigv2,
  max(CASE WHEN legacy_tls THEN event_time END) AS last_legacy_tls
FROM events
WHERE bucket IS NOT NULL
GROUP BY bucket, aws_region
ORDER BY sigv2_requests DESC, legacy_tls_requests DESC, bucket, aws_region
