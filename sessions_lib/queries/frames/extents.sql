-- Extents frame: each extent on a file the session holds, in wall clock (relative time when its
-- file is not anchored, see the anchored column), and whether it overlaps
-- (closed intervals) its own file's contribution window: the per-extent form of
-- session_topics.sql. One topic's (topic_name) or, when that is null, every topic's; by topic
-- name, topic id, then wall-clock start.
SELECT t.topic_id, t.name AS topic_name, te.file_id, sf.relative_path, tp.partition_key,
       te.timeline_source, te.min_timestamp, te.max_timestamp, te.unix_epoch_offset_ns,
       te.min_timestamp + te.unix_epoch_offset_ns AS min_wall_ns,
       te.max_timestamp + te.unix_epoch_offset_ns AS max_wall_ns,
       sf.window_min_ns, sf.window_max_ns, sf.anchored,
       coalesce(te.min_timestamp + te.unix_epoch_offset_ns <= sf.window_max_ns
                AND te.max_timestamp + te.unix_epoch_offset_ns >= sf.window_min_ns, false) AS in_window
FROM session_files AS sf
JOIN lake.main.timeline_extents AS te
    ON te.org_id = getvariable('org_id') AND te.file_id = sf.file_id
JOIN lake.main.topic_partitions AS tp ON tp.org_id = te.org_id AND tp.topic_part_id = te.topic_part_id
JOIN lake.main.topics AS t ON t.org_id = tp.org_id AND t.topic_id = tp.topic_id
WHERE sf.session_id = getvariable('session_id')
  AND (getvariable('topic_name') IS NULL OR t.name = getvariable('topic_name'))
ORDER BY t.name, t.topic_id, min_wall_ns, te.file_id, tp.partition_key
