-- The session_files view: one row per contribution of the org with its file (dataset, path,
-- device, whether its time is anchored: files.anchored IS NOT FALSE), its optional range and its
-- window. Follows the rules' WITH prefix.
SELECT cw.session_id, cw.file_id, f.dataset_id, f.relative_path, f.device_id,
       cw.range_min_timestamp_ns, cw.range_max_timestamp_ns, cw.window_min_ns, cw.window_max_ns,
       f.anchored IS NOT FALSE AS anchored
FROM contribution_windows AS cw
JOIN files AS f ON f.org_id = cw.org_id AND f.file_id = cw.file_id
