-- The slices of the topics named in $topic_names (a list) a session's contributions hold: one row
-- per (contribution, topic partition) with the topic's name, where its file lies, its format, the
-- partition's rows in a sliced file, the options its reader was given, the contribution's wall-clock window, and the partition's
-- epoch offset (wall = stored + offset; one offset per partition). Needs the rules over ONE_SESSION
-- (`contribution_windows`).
-- In time order of the windows, then by file, row and topic.
SELECT t.name AS topic_name, cw.file_id, f.relative_path, f.uri, f.format, d.root_path, f.anchored,
       f.read_options,
       tp.topic_part_id, tp.partition_key, tp.row_start, tp.row_end,
       cw.window_min_ns, cw.window_max_ns,
       (SELECT any_value(te.unix_epoch_offset_ns) FROM timeline_extents AS te
        WHERE te.org_id = tp.org_id AND te.topic_part_id = tp.topic_part_id) AS unix_epoch_offset_ns
FROM contribution_windows AS cw
JOIN files AS f ON f.org_id = cw.org_id AND f.file_id = cw.file_id
JOIN datasets AS d ON d.org_id = f.org_id AND d.dataset_id = f.dataset_id
JOIN topic_partitions AS tp ON tp.org_id = f.org_id AND tp.file_id = f.file_id
JOIN topics AS t ON t.org_id = tp.org_id AND t.topic_id = tp.topic_id
WHERE list_contains($topic_names, t.name) AND cw.window_min_ns IS NOT NULL
  AND tp.min_wall_ns <= cw.window_max_ns AND tp.max_wall_ns >= cw.window_min_ns
ORDER BY cw.window_min_ns, cw.file_id, tp.row_start NULLS FIRST, tp.topic_part_id, t.name
