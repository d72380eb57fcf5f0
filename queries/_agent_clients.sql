-- Fragment: each distinct user agent of `events` with its client from the catalog and whether
-- that client is older than the release that made SigV4 its default. Versions compare part by part.
-- needs: events
catalog (client, ua_pattern, sigv4_default_version, precedence) AS (
  VALUES
    {client_catalog}
),
agent_matches AS (
  SELECT
    a.user_agent,
    c.client,
    c.sigv4_default_version,
    nullif(regexp_extract(a.user_agent, c.ua_pattern, 1), '') AS client_version,
    row_number() OVER (PARTITION BY a.user_agent ORDER BY c.precedence) AS match_rank
  FROM (SELECT DISTINCT user_agent FROM events WHERE user_agent IS NOT NULL) AS a
  JOIN catalog AS c ON regexp_like(a.user_agent, c.ua_pattern)
),
agent_versions AS (
  SELECT
    user_agent,
    client,
    client_version,
    sigv4_default_version,
    {client_version_parts},
    {sigv4_default_parts}
  FROM agent_matches
  WHERE match_rank = 1 AND client_version IS NOT NULL
),
agent_clients AS (
  SELECT
    user_agent,
    client,
    client_version,
    sigv4_default_version,
    {client_older_than_default} AS outdated
  FROM agent_versions
)
