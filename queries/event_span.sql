-- The time the window's S3 requests span: the first and last event time read, and how many there are.
-- One row, or none when the window holds no request.
-- needs: events
SELECT
  min(event_time) AS first_seen,
  max(event_time) AS last_seen,
  count(*) AS requests
FROM events
HAVING count(*) > 0
