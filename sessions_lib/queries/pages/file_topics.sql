-- One page of a file's topics ($org_id, $file_id): one row per topic (or topic slice of a
-- partitioned file), its extents gathered in start order; keyset after ($after_name,
-- $after_topic_id, $after_slice, $after_part).
SELECT
    t.topic_id, t.org_id, t.name, tp.topic_part_id, tp.schema_name, tp.schema_encoding, tp.message_count,
    tp.partition_key, tp.row_start, tp.row_end, tp.timeline_offset_ns, coalesce(tp.row_start, -1) AS slice_order,
    list(struct_pack(
        timeline_extent_id := te.timeline_extent_id, org_id := te.org_id,
        topic_part_id := te.topic_part_id, timeline_source := te.timeline_source,
        min_timestamp := te.min_timestamp, max_timestamp := te.max_timestamp,
        unix_epoch_offset_ns := te.unix_epoch_offset_ns
    ) ORDER BY te.min_timestamp, te.max_timestamp) FILTER (WHERE te.timeline_extent_id IS NOT NULL) AS extents
FROM topic_partitions AS tp
JOIN topics AS t ON t.org_id = tp.org_id AND t.topic_id = tp.topic_id
LEFT JOIN timeline_extents AS te ON te.org_id = tp.org_id AND te.topic_part_id = tp.topic_part_id
WHERE tp.org_id = $org_id AND tp.file_id = $file_id
  AND (t.name, t.topic_id, coalesce(tp.row_start, -1), tp.topic_part_id) > ($after_name, $after_topic_id,
       $after_slice, $after_part)
GROUP BY ALL
ORDER BY t.name, t.topic_id, slice_order, tp.topic_part_id
LIMIT $limit
