-- One page of an article's approved comments, newest first, with the approved count.
-- KEYS[1] shard prefix   KEYS[2] article public list (all scores 0; ids sort by time)
-- ARGV[1] upper bound for ZREVRANGEBYLEX ("+" or "(<id>")   ARGV[2] how many
-- ARGV[3..] the comment fields to return, in order
-- Returns {approved count, {id, fields...}, ...} (the id is the key's, not a stored field).
local ids = redis.call('ZREVRANGEBYLEX', KEYS[2], ARGV[1], '-', 'LIMIT', 0, tonumber(ARGV[2]))
local out = {redis.call('ZCARD', KEYS[2])}
local fields = {unpack(ARGV, 3)}
for _, id in ipairs(ids) do
  local row = redis.call('HMGET', KEYS[1] .. 'c:' .. id, unpack(fields))
  table.insert(row, 1, id)
  out[#out + 1] = row
end
return out
