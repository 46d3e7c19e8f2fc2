-- Contribution window: the contribution's closed [range_min, range_max] if given, else the file
-- window. A file without extents and without a range has no window (NULL bounds).
-- file_min_wall_ns (the file window's start) bounds where the file's extents can begin.
SELECT
    c.org_id,
    c.session_id,
    c.file_id,
    c.range_min_timestamp_ns,
    c.range_max_timestamp_ns,
    coalesce(c.range_min_timestamp_ns, fw.min_wall_ns) AS window_min_ns,
    coalesce(c.range_max_timestamp_ns, fw.max_wall_ns) AS window_max_ns,
    fw.min_wall_ns AS file_min_wall_ns
FROM contributions AS c
LEFT JOIN file_windows AS fw ON fw.org_id = c.org_id AND fw.file_id = c.file_id
