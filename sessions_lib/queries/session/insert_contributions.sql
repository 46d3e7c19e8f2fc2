-- Contributions of the given files to session $session_id: $file_ids with, position by position,
-- $range_mins and $range_maxs (NULL: the whole file). Only files the org has are inserted, so the
-- count inserted falling short of the files given tells that some are unknown; files the session
-- already holds are left to replace_ranges.
INSERT INTO session_files
    (session_id, org_id, file_id, range_min_timestamp_ns, range_max_timestamp_ns, created, created_by)
SELECT $session_id, f.org_id, f.file_id, given.range_min, given.range_max, $now, $user
FROM (
    SELECT unnest($file_ids::VARCHAR[]) AS file_id,
           unnest($range_mins::BIGINT[]) AS range_min,
           unnest($range_maxs::BIGINT[]) AS range_max
) AS given
JOIN files AS f ON f.org_id = $org_id AND f.file_id = given.file_id
WHERE NOT EXISTS (
    SELECT 1 FROM session_files AS held
    WHERE held.org_id = $org_id AND held.session_id = $session_id AND held.file_id = given.file_id
)
