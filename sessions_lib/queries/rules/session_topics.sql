-- Session topics: a topic belongs to a session when at least one of its extents, on a file the
-- session holds, overlaps (closed intervals) that file's contribution window. One row per
-- (session, topic), however many files and partitions carry it.
-- The overlap compares stored columns (min_wall_ns, max_wall_ns), so DuckDB hands the windows'
-- bounds to the scan of the extents, which are sorted by min_wall_ns: files and row groups
-- outside [file start, window end] are skipped by their min/max statistics. The lower bound on
-- min_wall_ns holds by definition of the file window; it makes the range two-sided.
SELECT st.org_id, st.session_id, t.topic_id, t.name
FROM (
    SELECT DISTINCT cw.org_id, cw.session_id, te.topic_id
    FROM contribution_windows AS cw
    JOIN timeline_extents AS te
        ON te.org_id = cw.org_id
       AND te.file_id = cw.file_id
       AND te.min_wall_ns <= cw.window_max_ns
       AND te.max_wall_ns >= cw.window_min_ns
       AND te.min_wall_ns >= cw.file_min_wall_ns
) AS st
JOIN topics AS t
    ON t.org_id = st.org_id AND t.topic_id = st.topic_id
