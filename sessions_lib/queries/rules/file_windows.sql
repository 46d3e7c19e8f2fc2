-- File window: the span of a file's extents in wall clock (min of mins, max of maxes), read from
-- the spans its topic partitions store (each the span of that partition's extents): a partition
-- lookup by file, where the extents, kept in wall-clock order, have no order by file.
-- Computed only for `scoped_files`, so a one-session query reads one session's files.
SELECT
    tp.org_id,
    tp.file_id,
    min(tp.min_wall_ns) AS min_wall_ns,
    max(tp.max_wall_ns) AS max_wall_ns
FROM topic_partitions AS tp
WHERE tp.file_id IN (SELECT file_id FROM scoped_files)
  AND tp.min_wall_ns IS NOT NULL
GROUP BY tp.org_id, tp.file_id
