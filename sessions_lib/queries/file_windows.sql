-- File window: the span of a file's extents in wall clock (min of mins, max of maxes).
-- Computed only for `scoped_files`, so a one-session query reads one session's files.
SELECT
    te.org_id,
    te.file_id,
    min(te.min_timestamp + te.unix_epoch_offset_ns) AS min_wall_ns,
    max(te.max_timestamp + te.unix_epoch_offset_ns) AS max_wall_ns
FROM timeline_extents AS te
WHERE te.file_id IN (SELECT file_id FROM scoped_files)
GROUP BY te.org_id, te.file_id
