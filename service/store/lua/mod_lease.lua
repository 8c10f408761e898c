-- Extend or release the leases a moderator holds on comments of one shard.
-- Extending resets the pending entry's idle time (XCLAIM to the same consumer) and the recorded
-- expiry together; releasing makes the entry look long idle so the next claim takes it at once.
-- KEYS[1] shard prefix   KEYS[2] audit stream   KEYS[3..] the shard's view streams
-- ARGV[1] group   ARGV[2] moderator id   ARGV[3] extend | release   ARGV[4] lease (ms)
-- ARGV[5] audit max length   ARGV[6] events channel   ARGV[7] how many views (n)
-- ARGV[8..7+n] the views (as KEYS[3..])   ARGV[8+n..] comment ids
-- Returns {{comment id, result, lease expiry ms}, ...}; result: ok | missing | not_holder |
-- expired.
local prefix, audit = KEYS[1], KEYS[2]
local group, who, mode = ARGV[1], ARGV[2], ARGV[3]
local lease, maxlen, channel, nviews = tonumber(ARGV[4]), ARGV[5], ARGV[6], tonumber(ARGV[7])
local streams = {}
for i = 1, nviews do streams[ARGV[7 + i]] = KEYS[2 + i] end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {}
for i = 8 + nviews, #ARGV do
  local cid = ARGV[i]
  local key = prefix .. 'c:' .. cid
  local st = redis.call('HMGET', key, 'lh', 'le', 'lv', 'a', 'u')
  local holder, expiry, view = st[1], tonumber(st[2] or '0'), st[3]
  local entry = view and redis.call('HGET', key, 'q:' .. view)
  if not holder or not entry or not streams[view] then
    out[#out + 1] = {cid, 'missing', 0}
  elseif holder ~= who then
    out[#out + 1] = {cid, 'not_holder', expiry}
  elseif mode == 'extend' and expiry <= now then
    out[#out + 1] = {cid, 'expired', expiry}
  else
    local q = streams[view]
    if mode == 'extend' then
      expiry = now + lease
      redis.call('XCLAIM', q, group, who, 0, entry, 'JUSTID')
      redis.call('HSET', key, 'le', expiry)
    else
      -- Ten days idle: older than any lease, so XAUTOCLAIM hands it out again at once.
      redis.call('XCLAIM', q, group, who, 0, entry, 'IDLE', 864000000, 'JUSTID')
      redis.call('HDEL', key, 'lh', 'le', 'lv')
      expiry = 0
    end
    local f = {'act', mode, 'by', 'm:' .. who, 'c', cid, 'a', st[4] or '', 'u', st[5] or '',
               'view', view, 'until', tostring(expiry)}
    local aid = redis.call('XADD', audit, 'MAXLEN', '~', maxlen, '*', unpack(f))
    local log = {id = aid}
    for j = 1, #f, 2 do log[f[j]] = f[j + 1] end
    redis.call('RPUSH', key .. ':log', cjson.encode(log))
    redis.call('PUBLISH', channel, cjson.encode({type = mode == 'extend' and 'extended' or 'released',
      comment_id = cid, view = view, moderator_id = who, ['until'] = expiry}))
    out[#out + 1] = {cid, 'ok', expiry}
  end
end
return out
