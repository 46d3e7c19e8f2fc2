-- The device's sessions called $name (two at most: one is the identity Device.create_session
-- reuses, two make the name ambiguous). Each row as a struct, with the files among $file_ids it holds.
SELECT
    s AS session,
    (SELECT list(held.file_id) FROM session_files AS held
     WHERE held.org_id = s.org_id AND held.session_id = s.session_id
       AND list_contains($file_ids, held.file_id)) AS held_file_ids
FROM sessions AS s
JOIN session_devices AS sd ON sd.org_id = s.org_id AND sd.session_id = s.session_id
WHERE s.org_id = $org_id AND sd.device_id = $device_id AND s.name = $name
ORDER BY s.created, s.session_id
LIMIT 2
