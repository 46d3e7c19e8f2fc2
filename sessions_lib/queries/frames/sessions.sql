-- Sessions frame: one row per session of the org with its bounds, its devices (sorted ids), its
-- file and topic counts and whether it is anchored (the session_anchored view), oldest first;
-- sessions without contributions have null bounds and come last. The bounds are the stored ones,
-- which every write keeps equal to the rules' recomputation (the bounds asset check verifies it);
-- the topic count reads the org-scoped session_topics view of surfaces.sql. Reading the tables
-- rather than recomputing through the views halves the DuckLake scans of a `sessions list`. Every
-- filter is optional (a null variable keeps every row): attached to a device, name containing a
-- string (case-insensitive), overlapping the closed window [start_ns, end_ns]. That window is
-- wall-clock time: an unanchored session, whose times count from its recording's own zero, is
-- never in it.
SELECT s.session_id, s.name, s.origin, s.min_timestamp_ns, s.max_timestamp_ns,
       coalesce(d.device_ids, []::VARCHAR[]) AS device_ids,
       coalesce(f.file_count, 0)::BIGINT AS file_count,
       coalesce(t.topic_count, 0)::BIGINT AS topic_count,
       a.anchored
FROM lake.main.sessions AS s
JOIN session_anchored AS a ON a.session_id = s.session_id
LEFT JOIN (SELECT session_id, list(device_id ORDER BY device_id) AS device_ids
           FROM lake.main.session_devices WHERE org_id = getvariable('org_id')
           GROUP BY session_id) AS d ON d.session_id = s.session_id
LEFT JOIN (SELECT session_id, count(*) AS file_count
           FROM lake.main.session_files WHERE org_id = getvariable('org_id')
           GROUP BY session_id) AS f ON f.session_id = s.session_id
LEFT JOIN (SELECT session_id, count(*) AS topic_count
           FROM session_topics GROUP BY session_id) AS t ON t.session_id = s.session_id
WHERE s.org_id = getvariable('org_id')
  AND (getvariable('device_id') IS NULL OR list_contains(d.device_ids, getvariable('device_id')))
  AND (getvariable('name_contains') IS NULL
       OR contains(lower(s.name), lower(getvariable('name_contains'))))
  AND (getvariable('start_ns') IS NULL OR s.max_timestamp_ns >= getvariable('start_ns'))
  AND (getvariable('end_ns') IS NULL OR s.min_timestamp_ns <= getvariable('end_ns'))
  AND (getvariable('start_ns') IS NULL AND getvariable('end_ns') IS NULL OR a.anchored)
ORDER BY s.min_timestamp_ns NULLS LAST, s.session_id
