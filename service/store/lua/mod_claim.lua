-- Hand up to ARGV[4] comments of one shard's view to a moderator, oldest first: first entries
-- whose lease ran out (XAUTOCLAIM), then new ones (XREADGROUP). Each comment taken records its
-- lease (lh holder, le expiry ms, lv view) and an audit entry, in the same atomic step, so no
-- two moderators ever hold the same comment.
-- With a filter (an article, a rule that fired), it scans the stream oldest first instead,
-- at most ARGV[10] entries, and takes the waiting comments that match with XCLAIM FORCE: the
-- entry becomes pending for this moderator even if the group never delivered it, so extend,
-- release, decisions and redelivery after the lease work as for any claim. A later XREADGROUP
-- may still deliver such an entry; the hash's lease, not the stream, says who holds it.
-- ARGV[8] article id or ''   ARGV[9] rule id or ''   ARGV[10] entries to scan at most
-- ARGV[11] 'peek': take nothing, answer the millisecond parts of the ids a filtered claim
-- would take (see mod_peek.lua), for planning across shards.
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
  local st = redis.call('HMGET', key, 'q:' .. view, 'lh', 'le')
  if st[1] ~= id then
    -- Left over from a comment decided without this entry's id: not work, drop it.
    redis.call('XACK', q, group, id)
    redis.call('XDEL', q, id)
    return
  end
  local held_until = tonumber(st[3] or '0')
  if st[2] and held_until > now then
    -- A filtered claim took it ahead of the group and XREADGROUP delivered it again. It stays
    -- with its holder, pending and as idle as the lease is old, so that XAUTOCLAIM offers it
    -- again exactly when the lease runs out.
    redis.call('XCLAIM', q, group, st[2], 0, id, 'IDLE', math.max(0, lease - (held_until - now)),
               'JUSTID')
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

local article, rule = ARGV[8] or '', ARGV[9] or ''
local budget, peek = tonumber(ARGV[10] or '0'), ARGV[11] == 'peek'

-- Waiting (no decision, no live lease, this entry still its queue entry) and matching.
local function wanted(id, cid)
  local st = redis.call('HMGET', prefix .. 'c:' .. cid, 'q:' .. view, 'd', 'lh', 'le', 'a', 'h')
  if st[1] ~= id or st[2] or (st[3] and tonumber(st[4] or '0') > now) then return false end
  if article ~= '' and st[5] ~= article then return false end
  if rule == '' then return true end
  -- Most comments have no hits, or not this rule's: skip decoding those.
  if not st[6] or not string.find(st[6], rule, 1, true) then return false end
  local ok, hits = pcall(cjson.decode, st[6])
  if not ok or type(hits) ~= 'table' then return false end
  for _, hit in ipairs(hits) do
    if type(hit) == 'table' and hit.rule_id == rule then return true end
  end
  return false
end

-- Oldest first, at most `budget` entries, in chunks.
local function scan(found)
  local from, seen, times = '-', 0, {}
  while seen < budget and #out + #times < want do
    local chunk = redis.call('XRANGE', q, from, '+', 'COUNT', math.min(200, budget - seen))
    if #chunk == 0 then break end
    for _, entry in ipairs(chunk) do
      seen = seen + 1
      if wanted(entry[1], entry[2][2]) then
        found(entry, times)
        if #out + #times >= want then break end
      end
    end
    from = '(' .. chunk[#chunk][1]
  end
  return times
end

if redis.call('EXISTS', q) == 0 then
  return out
end
if peek then
  return scan(function(entry, times)
    times[#times + 1] = tonumber(string.match(entry[1], '^(%d+)'))
  end)
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

if article ~= '' or rule ~= '' then
  scan(function(entry)
    -- FORCE: create the pending entry even for an entry the group never delivered.
    if #redis.call('XCLAIM', q, group, who, 0, entry[1], 'FORCE', 'JUSTID') > 0 then
      take(entry)
    end
  end)
else
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
    local r = redis.call('XREADGROUP', 'GROUP', group, who, 'COUNT', want - #out,
                         'STREAMS', q, '>')
    if not r then break end
    local entries = r[1][2]
    if #entries == 0 then break end
    for _, entry in ipairs(entries) do take(entry) end
  end
end
if #out > 0 then
  local ids = {}
  for i, row in ipairs(out) do ids[i] = row[1] end
  redis.call('PUBLISH', channel, cjson.encode({type = 'claimed', comment_ids = ids, view = view,
    moderator_id = who, ['until'] = expiry}))
end
return out
