"""What the data is, with no I/O: ids, the ``NotSet`` sentinel, frozen records and validated requests."""
