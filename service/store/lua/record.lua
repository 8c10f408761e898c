-- Count an accepted comment for the context rules, and forget what has aged out.
-- KEYS[1] rate sorted set   KEYS[2] flood sorted set   KEYS[3] user hash (readers only)
-- ARGV[1] now (ms)  ARGV[2] comment id  ARGV[3] keep rate entries (ms)
-- ARGV[4] fingerprint ("" for addresses)  ARGV[5] keep flood entries (ms)
local now = tonumber(ARGV[1])
redis.call('ZADD', KEYS[1], now, ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[3]))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if ARGV[4] ~= '' then
  redis.call('ZADD', KEYS[2], now, ARGV[4])
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[5]))
  redis.call('PEXPIRE', KEYS[2], ARGV[5])
  redis.call('HINCRBY', KEYS[3], 'ncomments', 1)
end
return 1
