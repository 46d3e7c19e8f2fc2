-- Sessions frame: one row per session of the org with its recomputed bounds, its devices (sorted
-- ids) and its file and topic counts, oldest first; sessions without contributions have null
-- bounds and come last. Reads the org-scoped views of surfaces.sql (session_bounds,
-- device_sessions, session_files, session_topics). Every filter is optional (a null variable
-- keeps every row): attached to a device, name containing a string (case-insensitive),
-- overlapping the closed window [start_ns, end_ns].
SELECT s.session_id, s.name, s.origin, b.min_timestamp_ns, b.max_timestamp_ns,
       coalesce(d.device_ids, []::VARCHAR[]) AS device_ids,
       coalesce(f.file_count, 0)::BIGINT AS file_count,
       coalesce(t.topic_count, 0)::BIGINT AS topic_count
FROM lake.main.sessions AS s
LEFT JOIN session_bounds AS b ON b.session_id = s.session_id
LEFT JOIN (SELECT session_id, list(device_id ORDER BY device_id) AS device_ids
           FROM device_sessions GROUP BY session_id) AS d ON d.session_id = s.session_id
LEFT JOIN (SELECT session_id, count(*) AS file_count
           FROM session_files GROUP BY session_id) AS f ON f.session_id = s.session_id
LEFT JOIN (SELECT session_id, count(*) AS topic_count
           FROM session_topics GROUP BY session_id) AS t ON t.session_id = s.session_id
WHERE s.org_id = getvariable('org_id')
  AND (getvariable('device_id') IS NULL OR list_contains(d.device_ids, getvariable('device_id')))
  AND (getvariable('name_contains') IS NULL
       OR contains(lower(s.name), lower(getvariable('name_contains'))))
  AND (getvariable('start_ns') IS NULL OR b.max_timestamp_ns >= getvariable('start_ns'))
  AND (getvariable('end_ns') IS NULL OR b.min_timestamp_ns <= getvariable('end_ns'))
ORDER BY b.min_timestamp_ns NULLS LAST, s.session_id
