-- Device coverage: the wall-clock ranges in which each device has data, from extents alone (no
-- recording is read). Reads `device_spans` (device_id, file_id, lo, hi: the extents of the
-- devices' anchored files, clipped to any window asked about) and `coverage_settings`
-- (tolerance_ns). Per device, spans merge into one range wherever the gap to the furthest end
-- before them is at most tolerance_ns (overlapping and touching spans always merge). One row per
-- range, by device and time, with the number of extents and files behind it.
WITH reached AS (
    SELECT device_id, file_id, lo, hi,
           max(hi) OVER (PARTITION BY device_id ORDER BY lo, hi
                         ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
    FROM device_spans
),
numbered AS (
    SELECT r.device_id, r.file_id, r.lo, r.hi,
           sum(CASE WHEN r.reach IS NULL OR r.lo - r.reach > c.tolerance_ns THEN 1 ELSE 0 END)
               OVER (PARTITION BY r.device_id ORDER BY r.lo, r.hi ROWS UNBOUNDED PRECEDING) AS range_number
    FROM reached AS r, coverage_settings AS c
)
SELECT device_id, min(lo) AS start_ns, max(hi) AS end_ns,
       count(*) AS extent_count, count(DISTINCT file_id) AS file_count
FROM numbered
GROUP BY device_id, range_number
ORDER BY device_id, start_ns
