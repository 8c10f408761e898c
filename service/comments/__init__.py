"""Comments: length, ids, storage on Redis, intake and reading."""
