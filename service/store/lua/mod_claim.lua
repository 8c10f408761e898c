-- Hand up to ARGV[4] comments of one shard's view to a moderator, oldest first: first entries
-- whose lease ran out (XAUTOCLAIM), then new ones (XREADGROUP). Each comment taken records its
-- lease (lh holder, le expiry ms, lv view) and an audit entry, in the same atomic step, so no
-- two moderators ever hold the same comment.
-- KEYS[1] shard prefix   KEYS[2] queue stream   KEYS[3] audit stream
-- ARGV[1] group   ARGV[2] moderator id (the consumer)   ARGV[3] view   ARGV[4] how many
-- ARGV[5] lease (ms)   ARGV[6] audit max length   ARGV[7] events channel
-- Returns {{comment id, lease expiry ms, {fields...}}, ...}, fields in the order of
-- MODERATION_FIELDS in service/moderation/model.py (the id is not stored in the hash).
local prefix, q, audit = KEYS[1], KEYS[2], KEYS[3]
local group, who, view = ARGV[1], ARGV[2], ARGV[3]
local want, lease, maxlen, channel = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6], ARGV[7]
local fields = {'a', 'u', 'n', 'v', 'b', 's', 'r', 'h',
                'rc', 'lh', 'le', 'lv', 'd', 'dr', 'dn', 'dby', 'dat'}
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expiry = now + lease
local out = {}

local function take(entry)
  local id, data = entry[1], entry[2]
  if not data then return end -- deleted under us; XAUTOCLAIM already dropped it
  local cid = data[2]
  local key = prefix .. 'c:' .. cid
  if redis.call('HGET', key, 'q:' .. view) ~= id then
    -- Left over from a comment decided without this entry's id: not work, drop it.
    redis.call('XACK', q, group, id)
    redis.call('XDEL', q, id)
    return
  end
  redis.call('HSET', key, 'lh', who, 'le', expiry, 'lv', view)
  local values = redis.call('HMGET', key, 'a', 'u')
  local fields_ = {'act', 'claim', 'by', 'm:' .. who, 'c', cid, 'a', values[1] or '',
                   'u', values[2] or '', 'view', view, 'until', tostring(expiry)}
  local aid = redis.call('XADD', audit, 'MAXLEN', '~', maxlen, '*', unpack(fields_))
  local log = {id = aid}
  for i = 1, #fields_, 2 do log[fields_[i]] = fields_[i + 1] end
  redis.call('RPUSH', key .. ':log', cjson.encode(log))
  out[#out + 1] = {cid, expiry, redis.call('HMGET', key, unpack(fields))}
end

if redis.call('EXISTS', q) == 0 then
  return out
end
local groups = redis.call('XINFO', 'GROUPS', q)
local has_group = false
for _, g in ipairs(groups) do
  for i = 1, #g, 2 do
    if g[i] == 'name' and g[i + 1] == group then has_group = true end
  end
end
if not has_group then
  redis.call('XGROUP', 'CREATE', q, group, '0')
end

-- Expired leases first; XAUTOCLAIM looks at a bounded part of the pending list per call.
local cursor = '0-0'
for _ = 1, 10 do
  local r = redis.call('XAUTOCLAIM', q, group, who, lease, cursor, 'COUNT', want - #out)
  for _, entry in ipairs(r[2]) do take(entry) end
  cursor = r[1]
  if cursor == '0-0' or #out >= want then break end
end
-- Then comments no moderator has seen yet; stale entries are skipped, so read until enough.
for _ = 1, 10 do
  if #out >= want then break end
  local r = redis.call('XREADGROUP', 'GROUP', group, who, 'COUNT', want - #out, 'STREAMS', q, '>')
  if not r then break end
  local entries = r[1][2]
  if #entries == 0 then break end
  for _, entry in ipairs(entries) do take(entry) end
end
if #out > 0 then
  local ids = {}
  for i, row in ipairs(out) do ids[i] = row[1] end
  redis.call('PUBLISH', channel, cjson.encode({type = 'claimed', comment_ids = ids, view = view,
    moderator_id = who, ['until'] = expiry}))
end
return out
