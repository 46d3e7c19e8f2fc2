-- Session topics: a topic belongs to a session when at least one of its extents, on a file the
-- session holds, overlaps (closed intervals) that file's contribution window. One row per
-- (session, topic), however many files and partitions carry it.
SELECT DISTINCT
    cw.org_id,
    cw.session_id,
    t.topic_id,
    t.name
FROM contribution_windows AS cw
JOIN timeline_extents AS te
    ON te.org_id = cw.org_id AND te.file_id = cw.file_id
JOIN topic_partitions AS tp
    ON tp.org_id = te.org_id AND tp.topic_part_id = te.topic_part_id
JOIN topics AS t
    ON t.org_id = tp.org_id AND t.topic_id = tp.topic_id
WHERE te.min_timestamp + te.unix_epoch_offset_ns <= cw.window_max_ns
  AND te.max_timestamp + te.unix_epoch_offset_ns >= cw.window_min_ns
