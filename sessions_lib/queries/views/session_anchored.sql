-- The session_anchored view: whether each session of the org is anchored, i.e. every file it
-- holds has Unix-epoch time (files.anchored IS NOT FALSE: true, or not known). A session with no
-- files is anchored. Unanchored sessions count from their recording's own zero: they are shown as
-- relative time (t+HH:MM:SS), never as 1970 dates. Tables by full name: the session_files view
-- of surfaces.sql would otherwise shadow the table.
SELECT s.session_id, bool_and(f.anchored IS NOT FALSE) AS anchored
FROM lake.main.sessions AS s
LEFT JOIN lake.main.session_files AS sf ON sf.org_id = s.org_id AND sf.session_id = s.session_id
LEFT JOIN lake.main.files AS f ON f.org_id = sf.org_id AND f.file_id = sf.file_id
WHERE s.org_id = $org_id
GROUP BY s.session_id
