"""Each kind of log the detector reads: its columns, its key layout, its Glue table and its `events` SQL."""
