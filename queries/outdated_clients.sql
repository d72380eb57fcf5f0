-- Clients older than the release that made SigV4 their default, over the whole catalog.
-- needs: events, agent_clients
SELECT
  c.user_agent,
  c.client,
  c.client_version,
  c.sigv4_default_version,
  array_join(array_sort(array_agg(DISTINCT e.principal_arn) FILTER (WHERE e.principal_arn IS NOT NULL)), ',') AS principals,
  count(*) AS requests
FROM agent_clients AS c
JOIN events AS e ON e.user_agent = c.user_agent
WHERE c.outdated
GROUP BY c.user_agent, c.client, c.client_version, c.sigv4_default_version
ORDER BY requests DESC, c.user_agent
