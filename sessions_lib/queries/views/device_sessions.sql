-- The device_sessions view: each device with each session it is attached to, and that session's
-- stored bounds. Reads the org-scoped views of the tables (surfaces.sql), so it holds the org's rows.
SELECT sd.device_id, d.name AS device_name, s.session_id, s.name AS session_name,
       s.min_timestamp_ns, s.max_timestamp_ns, s.origin
FROM session_devices AS sd
JOIN sessions AS s ON s.org_id = sd.org_id AND s.session_id = sd.session_id
JOIN devices AS d ON d.org_id = sd.org_id AND d.device_id = sd.device_id
