-- The session_anchored view: whether each session is anchored, i.e. every file it holds has
-- Unix-epoch time (files.anchored IS NOT FALSE: true, or not known). A session with no files is
-- anchored. Unanchored sessions count from their recording's own zero: they are shown as
-- relative time (t+HH:MM:SS), never as 1970 dates. Reads `sessions`, `session_files` (session_id,
-- file_id) and `files` scoped to the org: the views of surfaces.sql, or CTEs of the same names.
SELECT s.session_id, bool_and(f.anchored IS NOT FALSE) AS anchored
FROM sessions AS s
LEFT JOIN session_files AS sf ON sf.session_id = s.session_id
LEFT JOIN files AS f ON f.org_id = s.org_id AND f.file_id = sf.file_id
GROUP BY s.session_id
