-- Session bounds: min and max over the session's contribution windows (NULL with none).
SELECT
    org_id,
    session_id,
    min(window_min_ns) AS min_timestamp_ns,
    max(window_max_ns) AS max_timestamp_ns
FROM contribution_windows
GROUP BY org_id, session_id
