"""Everything that knows how data is laid out in Redis: key names, Lua scripts, the client."""
