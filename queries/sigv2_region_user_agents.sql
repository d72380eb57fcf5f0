-- Distinct user agents in the eight regions that still accept SigV2, with the client and
-- version read from each agent: the post's first look at who could still be signing SigV2.
-- needs: events, agent_clients
SELECT
  e.user_agent,
  max(c.client) AS client,
  max(c.client_version) AS client_version,
  count(*) AS requests
FROM events AS e
LEFT JOIN agent_clients AS c ON c.user_agent = e.user_agent
WHERE e.aws_region IN ({sigv2_regions})
  AND e.user_agent IS NOT NULL
GROUP BY e.user_agent
ORDER BY requests DESC, e.user_agent
