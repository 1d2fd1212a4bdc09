-- Add a comment to a hot article.
-- KEYS: shard meta hash, shard event stream, article hash, article's unflushed comments hash,
--       the shard's unflushed comments hash.
-- ARGV: epoch to create the shard's stream lifetime with; the comment rate limit as count and
--       period in ms ('' = none); site, reader, address ('' = unknown); the comment's status;
--       the comment as JSON (the stream event); the article's title and url as its page gave
--       them ('' = not given), and the article's id.
-- Returns -1 for a cold article, or a stale copy fenced until the flusher drops it (load it and
-- retry), else how many ms to wait before trying
-- again: over the rate limit, nothing was added; 0 = added.
local meta, events, key, comments, shard_comments = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
redis.call('HSETNX', meta, 'epoch', ARGV[1])
local hot = redis.call('HMGET', key, '#c', '#f')
if not hot[1] or hot[2] then return -1 end
local now = now_ms()
local wait = rate_limit(shard_prefix(meta), 'c', tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4], ARGV[5], ARGV[6], now)
if wait > 0 then return wait end

local known = redis.call('HMGET', key, '#t', '#u')
note_about(events, key, ARGV[4], ARGV[11], ARGV[9], ARGV[10], known[1], known[2])
local id = redis.call('XADD', events, '*', 'c', ARGV[8])
-- Kept until flushed, so that the article's comment pages, and the site's moderation desk,
-- show it before SQLite has it.
redis.call('HSET', comments, id, ARGV[8])
redis.call('HSET', shard_comments, id, ARGV[8])
if ARGV[7] == 'approved' then redis.call('HINCRBY', key, '#c', 1) end
redis.call('HSET', key, '#e', id)
return 0
