-- The catalog's tables: the one definition of the schema.
-- All times are int64 nanoseconds; "wall clock" is Unix-epoch ns. Every row carries org_id.
-- DuckLake has no primary keys or unique constraints: the keys named in the comments are kept
-- unique by the library's transactions (catalog.transaction), which every write goes through.

-- key: device_id
CREATE TABLE IF NOT EXISTS devices (
    device_id    VARCHAR NOT NULL,
    org_id       VARCHAR NOT NULL,
    name         VARCHAR NOT NULL,
    device_type  VARCHAR,
    metadata     JSON,
    created      TIMESTAMPTZ NOT NULL,
    created_by   VARCHAR NOT NULL,
    modified     TIMESTAMPTZ NOT NULL,
    modified_by  VARCHAR NOT NULL
);

-- key: dataset_id
CREATE TABLE IF NOT EXISTS datasets (
    dataset_id   VARCHAR NOT NULL,
    org_id       VARCHAR NOT NULL,
    name         VARCHAR NOT NULL,
    root_path    VARCHAR,
    created      TIMESTAMPTZ NOT NULL,
    created_by   VARCHAR NOT NULL
);

-- key: file_id; also unique per (org_id, dataset_id, relative_path)
CREATE TABLE IF NOT EXISTS files (
    file_id        VARCHAR NOT NULL,
    org_id         VARCHAR NOT NULL,
    dataset_id     VARCHAR NOT NULL,
    relative_path  VARCHAR NOT NULL,
    uri            VARCHAR,
    size_bytes     BIGINT,
    format         VARCHAR,
    content_hash   VARCHAR,
    device_id      VARCHAR,
    ingest_status  VARCHAR NOT NULL,  -- 'ingested' | 'failed'
    ingest_error   VARCHAR,
    read_method    VARCHAR,           -- how spans were read: 'summary' | 'index' | 'metadata' | 'scan'
    anchored       BOOLEAN,           -- whether its timestamps are (or were anchored to) Unix epoch
    notes          VARCHAR[],         -- what a person should know about how it was read
    identifiers    JSON,              -- what may identify its device (MCAP metadata, ULog sys id, ...)
    created        TIMESTAMPTZ NOT NULL,
    created_by     VARCHAR NOT NULL,
    modified       TIMESTAMPTZ NOT NULL,
    modified_by    VARCHAR NOT NULL,
    mtime_ns       BIGINT,            -- its modification time when read (ns since the Unix epoch)
    fingerprint    VARCHAR,           -- digest of its size and first and last MiB: change detection
    timeline_offset_ns BIGINT,        -- a user's anchor: added to every extent's offset (NULL: none)
    read_options   JSON               -- how a table was read (timestamp column, unit, topics), NULL: defaults
);

-- key: topic_id; one identity per (org_id, name)
CREATE TABLE IF NOT EXISTS topics (
    topic_id  VARCHAR NOT NULL,
    org_id    VARCHAR NOT NULL,
    name      VARCHAR NOT NULL
);

-- key: topic_part_id; one per (file_id, topic_id, partition_key)
CREATE TABLE IF NOT EXISTS topic_partitions (
    topic_part_id    VARCHAR NOT NULL,
    org_id           VARCHAR NOT NULL,
    topic_id         VARCHAR NOT NULL,
    file_id          VARCHAR NOT NULL,
    device_id        VARCHAR,
    schema_name      VARCHAR,
    schema_encoding  VARCHAR,
    message_count    BIGINT,
    partition_key    VARCHAR,  -- a slice of the file, e.g. 'episode_index=3' (NULL: the whole topic)
    row_start        BIGINT,   -- the slice's rows [row_start, row_end) in a tabular file
    row_end          BIGINT,
    min_wall_ns      BIGINT,   -- the span of its extents in wall clock (NULL without extents);
    max_wall_ns      BIGINT,   --   file windows read these rather than the extents
    timeline_offset_ns BIGINT  -- a user's correction of this topic's clock, added on top of the file's
);

-- key: timeline_extent_id; wall clock = min/max_timestamp + unix_epoch_offset_ns, also stored as
-- min/max_wall_ns: the extents are kept sorted by min_wall_ns (Catalog.compact), so a filter on
-- the stored wall clock skips Parquet files and row groups by their min/max statistics.
CREATE TABLE IF NOT EXISTS timeline_extents (
    timeline_extent_id   VARCHAR NOT NULL,
    org_id               VARCHAR NOT NULL,
    topic_part_id        VARCHAR NOT NULL,
    file_id              VARCHAR NOT NULL,  -- denormalized from topic_partitions
    topic_id             VARCHAR NOT NULL,  -- denormalized too: a time window's topics need no join
    timeline_source      VARCHAR NOT NULL,  -- 'log_time' | 'publish_time' | 'field'
    min_timestamp        BIGINT NOT NULL,
    max_timestamp        BIGINT NOT NULL,
    unix_epoch_offset_ns BIGINT NOT NULL,   -- the reader's, plus the file's and the topic's timeline_offset_ns
    min_wall_ns          BIGINT NOT NULL,   -- min_timestamp + unix_epoch_offset_ns
    max_wall_ns          BIGINT NOT NULL    -- max_timestamp + unix_epoch_offset_ns
);

-- key: (file_id, kind, start_ns); device activity found inside a recording (ULog armed, ...),
-- in wall clock when the file is anchored
CREATE TABLE IF NOT EXISTS activity_intervals (
    org_id    VARCHAR NOT NULL,
    file_id   VARCHAR NOT NULL,
    kind      VARCHAR NOT NULL,
    start_ns  BIGINT NOT NULL,
    end_ns    BIGINT NOT NULL
);

-- key: session_id; min/max_timestamp_ns always equal the bounds recomputed from session_files
CREATE TABLE IF NOT EXISTS sessions (
    session_id        VARCHAR NOT NULL,
    org_id            VARCHAR NOT NULL,
    name              VARCHAR,
    created           TIMESTAMPTZ NOT NULL,
    created_by        VARCHAR NOT NULL,
    modified          TIMESTAMPTZ NOT NULL,
    modified_by       VARCHAR NOT NULL,
    min_timestamp_ns  BIGINT,
    max_timestamp_ns  BIGINT,
    origin            VARCHAR NOT NULL,  -- 'api' | 'inferred'
    description       VARCHAR,
    tags              VARCHAR[],
    metadata          JSON
);

-- key: (session_id, file_id); range bounds both set or both NULL, min <= max
CREATE TABLE IF NOT EXISTS session_files (
    session_id              VARCHAR NOT NULL,
    org_id                  VARCHAR NOT NULL,
    file_id                 VARCHAR NOT NULL,
    range_min_timestamp_ns  BIGINT,
    range_max_timestamp_ns  BIGINT,
    created                 TIMESTAMPTZ NOT NULL,
    created_by              VARCHAR NOT NULL
);

-- key: (session_id, device_id)
CREATE TABLE IF NOT EXISTS session_devices (
    session_id  VARCHAR NOT NULL,
    org_id      VARCHAR NOT NULL,
    device_id   VARCHAR NOT NULL,
    created     TIMESTAMPTZ NOT NULL,
    created_by  VARCHAR NOT NULL
);

-- Upgrades of catalogs made before a column existed (each a no-op once it is there).
ALTER TABLE files ADD COLUMN IF NOT EXISTS mtime_ns BIGINT;
ALTER TABLE files ADD COLUMN IF NOT EXISTS fingerprint VARCHAR;
ALTER TABLE files ADD COLUMN IF NOT EXISTS timeline_offset_ns BIGINT;
ALTER TABLE files ADD COLUMN IF NOT EXISTS read_options JSON;
ALTER TABLE topic_partitions ADD COLUMN IF NOT EXISTS timeline_offset_ns BIGINT;
