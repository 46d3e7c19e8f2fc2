-- One page of a session's topics (after the rules' WITH prefix for one session), by name then
-- topic id, keyset after ($after_name, $after_topic_id).
SELECT topic_id, org_id, name FROM session_topics
WHERE (name, topic_id) > ($after_name, $after_topic_id)
ORDER BY name, topic_id
LIMIT $limit
