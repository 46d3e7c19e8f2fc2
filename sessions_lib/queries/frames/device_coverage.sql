-- Device coverage: the wall-clock ranges in which a device has data, from its extents alone (no
-- recording is read). Every extent of the device's anchored files, clipped to the closed window
-- [start_ns, end_ns] (either side may be null: open), merged into ranges wherever the gap to what
-- came before is at most tolerance_ns (overlapping and touching extents always merge). Unanchored
-- files are left out: their times are not wall clock. One row per range, in time order, with the
-- number of extents and files behind it.
WITH spans AS (
    SELECT greatest(te.min_wall_ns, coalesce(getvariable('start_ns'), te.min_wall_ns)) AS lo,
           least(te.max_wall_ns, coalesce(getvariable('end_ns'), te.max_wall_ns)) AS hi,
           te.file_id
    FROM lake.main.timeline_extents AS te
    JOIN lake.main.files AS f ON f.org_id = te.org_id AND f.file_id = te.file_id
    WHERE te.org_id = getvariable('org_id') AND f.device_id = getvariable('device_id')
      AND f.anchored IS NOT FALSE
      AND (getvariable('start_ns') IS NULL OR te.max_wall_ns >= getvariable('start_ns'))
      AND (getvariable('end_ns') IS NULL OR te.min_wall_ns <= getvariable('end_ns'))
),
reached AS (
    -- the furthest end of every earlier span: a span further than the tolerance from it starts a range
    SELECT lo, hi, file_id,
           max(hi) OVER (ORDER BY lo, hi ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
    FROM spans
),
ranges AS (
    SELECT lo, hi, file_id,
           sum(CASE WHEN reach IS NULL OR lo - reach > getvariable('tolerance_ns') THEN 1 ELSE 0 END)
               OVER (ORDER BY lo, hi ROWS UNBOUNDED PRECEDING) AS range_number
    FROM reached
)
SELECT getvariable('device_id') AS device_id, min(lo) AS start_ns, max(hi) AS end_ns,
       count(*) AS extent_count, count(DISTINCT file_id) AS file_count
FROM ranges
GROUP BY range_number
ORDER BY start_ns
