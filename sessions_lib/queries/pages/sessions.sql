-- One page of an org's sessions, oldest first, keyset after ($after_created, $after_session_id);
-- narrowed to those holding a file of a dataset, or attached to a device, when $dataset_id or
-- $device_id is not NULL.
SELECT * FROM sessions
WHERE org_id = $org_id AND (created, session_id) > ($after_created, $after_session_id)
  AND ($dataset_id IS NULL OR session_id IN (
        SELECT sf.session_id FROM session_files AS sf
        JOIN files AS f ON f.org_id = sf.org_id AND f.file_id = sf.file_id
        WHERE sf.org_id = $org_id AND f.dataset_id = $dataset_id))
  AND ($device_id IS NULL OR session_id IN (
        SELECT session_id FROM session_devices WHERE org_id = $org_id AND device_id = $device_id))
ORDER BY created, session_id
LIMIT $limit
