-- Window topics: the org's topic identities with at least one extent overlapping (closed
-- intervals) the wall-clock window [$start_ns, $end_ns], e.g. "topics with data in this hour".
-- Ordered by name, then topic_id.
-- Both bounds are plain comparisons on stored columns of extents sorted by min_wall_ns: the
-- files and row groups that begin after the window fail the first, those whose extents all end
-- before it the second, and the scan skips both by their min/max statistics.
SELECT t.topic_id, t.org_id, t.name
FROM topics AS t
WHERE t.org_id = $org_id
  AND t.topic_id IN (
      SELECT te.topic_id
      FROM timeline_extents AS te
      WHERE te.org_id = $org_id
        AND te.min_wall_ns <= $end_ns
        AND te.max_wall_ns >= $start_ns
  )
ORDER BY t.name, t.topic_id
