-- Fragment: each distinct user agent of `events` with its client from the catalog and whether
-- that client is older than the release that made SigV4 its default. A catalog row matches when the
-- first of its product tokens in the agent has a version in the row's range [since, before); of the
-- rows that match, the one listed first in the catalog (lowest precedence) is the client.
-- Versions compare as keys: their four numeric parts, each zero-padded. A row without a SigV4-default
-- version is outdated in every release (always_outdated) or in none.
-- needs: events
catalog (client, since_key, before_key, sigv4_default_version, sigv4_default_key, always_outdated, precedence) AS (
  VALUES
    {client_catalog}
),
agent_products AS (
  SELECT
    a.user_agent,
    c.client,
    c.since_key,
    c.before_key,
    c.sigv4_default_version,
    c.sigv4_default_key,
    c.always_outdated,
    c.precedence,
    {client_version_in_agent} AS client_version
  FROM (SELECT DISTINCT user_agent FROM events WHERE user_agent IS NOT NULL) AS a
  CROSS JOIN catalog AS c
),
agent_versions AS (
  SELECT
    user_agent,
    client,
    client_version,
    since_key,
    before_key,
    sigv4_default_version,
    sigv4_default_key,
    always_outdated,
    precedence,
    {client_version_key} AS version_key
  FROM agent_products
  WHERE client_version IS NOT NULL
),
agent_matches AS (
  SELECT
    user_agent,
    client,
    client_version,
    sigv4_default_version,
    CASE
      WHEN sigv4_default_key IS NULL THEN always_outdated
      ELSE version_key < sigv4_default_key
    END AS outdated,
    row_number() OVER (PARTITION BY user_agent ORDER BY precedence) AS match_rank
  FROM agent_versions
  WHERE version_key >= since_key
    AND (before_key IS NULL OR version_key < before_key)
),
agent_clients AS (
  SELECT user_agent, client, client_version, sigv4_default_version, outdated
  FROM agent_matches
  WHERE match_rank = 1
)
