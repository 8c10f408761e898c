-- Store a new comment and queue it, as one atomic step (all keys share the article's shard slot).
-- KEYS[1] shard prefix ("sd:{s07}:")     KEYS[2] comment hash
-- KEYS[3] queue stream (view of ARGV[4])  KEYS[4] author's index in this shard
-- KEYS[5] idempotency key                 KEYS[6] article public list
-- KEYS[7] article counters
-- ARGV[1] comment id   ARGV[2] request fingerprint ("" = no idempotency key)
-- ARGV[3] idempotency ttl (s)   ARGV[4] queue view ("" = not queued)
-- ARGV[5] "1" to publish at once (post-moderation)   ARGV[6] moderation events channel
-- ARGV[7] the `queued` event (JSON, no body) for moderators' consoles, published when queued
-- ARGV[8..] field/value pairs of the comment
-- Returns {"new", id} or {"replay", fingerprint, <HGETALL of the first comment>, its id}.
local id = ARGV[1]
if ARGV[2] ~= '' then
  local prev = redis.call('GET', KEYS[5])
  if prev then
    local sep = string.find(prev, '|', 1, true)
    local prev_id = string.sub(prev, 1, sep - 1)
    return {'replay', string.sub(prev, sep + 1), redis.call('HGETALL', KEYS[1] .. 'c:' .. prev_id),
            prev_id}
  end
end
redis.call('HSET', KEYS[2], unpack(ARGV, 8))
if ARGV[4] ~= '' then
  -- The entry id lets a decision acknowledge exactly this entry (field q:<view>).
  local entry = redis.call('XADD', KEYS[3], '*', 'c', id)
  redis.call('HSET', KEYS[2], 'q:' .. ARGV[4], entry)
  redis.call('PUBLISH', ARGV[6], ARGV[7])
end
if ARGV[5] == '1' then
  redis.call('ZADD', KEYS[6], 0, id)
end
if redis.call('HINCRBY', KEYS[7], 'total', 1) == 1 then
  -- When the article's first comment arrived: comments close a set time after it.
  local t = redis.call('TIME')
  redis.call('HSET', KEYS[7], 'first', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
end
redis.call('ZADD', KEYS[4], 0, id)
if ARGV[2] ~= '' then
  redis.call('SET', KEYS[5], id .. '|' .. ARGV[2], 'EX', ARGV[3])
end
return {'new', id}
