-- Attachments of the devices $device_ids to session $session_id: only devices the org has and
-- the session does not have attached yet, so the count inserted falling short of the devices
-- given tells that some are unknown or attached already.
INSERT INTO session_devices (session_id, org_id, device_id, created, created_by)
SELECT $session_id, d.org_id, d.device_id, $now, $user
FROM devices AS d
WHERE d.org_id = $org_id AND list_contains($device_ids, d.device_id)
  AND NOT EXISTS (
      SELECT 1 FROM session_devices AS attached
      WHERE attached.org_id = $org_id AND attached.session_id = $session_id
        AND attached.device_id = d.device_id
  )
