-- Read what the context rules need about one writer (a reader or a client address), in its slot.
-- KEYS[1] rate sorted set (member = comment id, score = ms)   KEYS[2] flood sorted set ("" key
-- name unused for addresses)   KEYS[3] user hash (or the rate key again for addresses)
-- ARGV[1] now (ms)  ARGV[2] burst window (ms)  ARGV[3] sustained window (ms)
-- ARGV[4] fingerprint ("" = do not check floods)  ARGV[5] flood window (ms)
-- Returns {burst count, sustained count, duplicate (0/1), previous comments}.
local now = tonumber(ARGV[1])
local burst = redis.call('ZCOUNT', KEYS[1], now - tonumber(ARGV[2]), '+inf')
local sustained = redis.call('ZCOUNT', KEYS[1], now - tonumber(ARGV[3]), '+inf')
local duplicate = 0
local previous = 0
if ARGV[4] ~= '' then
  local seen = redis.call('ZSCORE', KEYS[2], ARGV[4])
  if seen and tonumber(seen) > now - tonumber(ARGV[5]) then duplicate = 1 end
  previous = tonumber(redis.call('HGET', KEYS[3], 'ncomments') or '0')
end
return {burst, sustained, duplicate, previous}
