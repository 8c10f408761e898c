-- A reader reports a published comment, once per reader. The report that reaches the threshold
-- (counted since the last decision) withholds the comment from the public list and queues it in
-- the `reported` view, in the same atomic step.
-- KEYS[1] shard prefix   KEYS[2] comment hash   KEYS[3] reports hash   KEYS[4] audit stream
-- KEYS[5] the shard's `reported` stream
-- ARGV[1] comment id   ARGV[2] reader id   ARGV[3] reason   ARGV[4] details
-- ARGV[5] threshold   ARGV[6] audit max length   ARGV[7] events channel
-- Returns {outcome, report json, reports counted, status, article id}; outcome: new | repeat |
-- missing.
local prefix, key, reports, audit, reported = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local cid, uid, reason, details = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local threshold, maxlen, channel = tonumber(ARGV[5]), ARGV[6], ARGV[7]
local st = redis.call('HMGET', key, 's', 'a', 'u', 'rc', 'rb')
-- Only what readers can see can be reported.
if st[1] ~= 'approved' and st[1] ~= 'withheld' then
  return {'missing', '', 0, '', ''}
end
local previous = redis.call('HGET', reports, uid)
if previous then
  return {'repeat', previous, tonumber(st[4] or '0'), st[1], st[2]}
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local report = cjson.encode({reason = reason, details = details, at = now})
redis.call('HSET', reports, uid, report)
local count = redis.call('HINCRBY', key, 'rc', 1)

local function record(f)
  local aid = redis.call('XADD', audit, 'MAXLEN', '~', maxlen, '*', unpack(f))
  local log = {id = aid}
  for j = 1, #f, 2 do log[f[j]] = f[j + 1] end
  redis.call('RPUSH', key .. ':log', cjson.encode(log))
end

record({'act', 'report', 'by', 'u:' .. uid, 'c', cid, 'a', st[2], 'u', st[3] or '',
        'why', reason, 'note', details})
local status = st[1]
if status == 'approved' and count - tonumber(st[5] or '0') >= threshold then
  status = 'withheld'
  redis.call('ZREM', prefix .. 'a:' .. st[2] .. ':pub', cid)
  -- A new round of review: the earlier decision stays in the audit trail only.
  redis.call('HDEL', key, 'd', 'dr', 'dn', 'dby', 'dat')
  redis.call('HSET', key, 's', 'withheld')
  if not redis.call('HGET', key, 'q:reported') then
    local entry = redis.call('XADD', reported, '*', 'c', cid)
    redis.call('HSET', key, 'q:reported', entry)
  end
  record({'act', 'withhold', 'by', 'system', 'c', cid, 'a', st[2], 'u', st[3] or '',
          'why', 'report_threshold', 'note', tostring(count) .. ' reports'})
  redis.call('PUBLISH', channel, cjson.encode({type = 'withheld', comment_id = cid,
    view = 'reported', article_id = st[2]}))
end
return {'new', report, count, status, st[2]}
