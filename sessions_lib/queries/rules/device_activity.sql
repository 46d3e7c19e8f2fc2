-- Device activity, what session inference reads: for each file of a known device, the activity
-- found inside it (ULog armed intervals, LeRobot episodes) where there is any, else its whole
-- file window. Wall clock, closed intervals. Needs `file_windows` (see with_file_windows).
-- `anchored`: whether the file's clock is Unix time (unanchored files never merge with others);
-- `file_name`: its relative path, which names its sessions when it is unanchored.
SELECT a.org_id, f.device_id, a.file_id, a.kind, a.start_ns, a.end_ns,
       f.anchored IS NOT FALSE AS anchored, f.relative_path AS file_name
FROM activity_intervals AS a
JOIN files AS f ON f.org_id = a.org_id AND f.file_id = a.file_id
WHERE a.org_id = $org_id AND f.device_id IS NOT NULL
UNION ALL
SELECT fw.org_id, f.device_id, fw.file_id, 'file' AS kind, fw.min_wall_ns AS start_ns, fw.max_wall_ns AS end_ns,
       f.anchored IS NOT FALSE AS anchored, f.relative_path AS file_name
FROM file_windows AS fw
JOIN files AS f ON f.org_id = fw.org_id AND f.file_id = fw.file_id
WHERE fw.org_id = $org_id AND f.device_id IS NOT NULL
  AND NOT EXISTS (
      SELECT 1 FROM activity_intervals AS a WHERE a.org_id = fw.org_id AND a.file_id = fw.file_id)
