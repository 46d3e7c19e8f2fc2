-- The ranges asked for on files session $session_id already holds ($file_ids, $range_mins and
-- $range_maxs as in insert_contributions). Only contributions whose range differs are rewritten
-- (keeping when and by whom they were added), so re-adding a file as it is held changes no row.
UPDATE session_files AS held
SET range_min_timestamp_ns = given.range_min, range_max_timestamp_ns = given.range_max
FROM (
    SELECT unnest($file_ids::VARCHAR[]) AS file_id,
           unnest($range_mins::BIGINT[]) AS range_min,
           unnest($range_maxs::BIGINT[]) AS range_max
) AS given
WHERE held.org_id = $org_id AND held.session_id = $session_id AND held.file_id = given.file_id
  AND (held.range_min_timestamp_ns IS DISTINCT FROM given.range_min
       OR held.range_max_timestamp_ns IS DISTINCT FROM given.range_max)
