"""Every format this package reads, as each format's module declares it; detection and dispatch
are built from this one list."""

from sessions_lib.readers import lerobot, mcap, rosbag1, rosbag2, tabular, ulog
from sessions_lib.readers.protocol import Reader

READERS: tuple[Reader, ...] = (
    lerobot.READER,
    mcap.READER,
    rosbag1.READER,
    rosbag2.READER,
    ulog.READER,
    tabular.PARQUET_READER,
    tabular.CSV_READER,
)
READERS_BY_FORMAT: dict[str, Reader] = {reader.format: reader for reader in READERS}
