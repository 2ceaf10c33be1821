-- wrk script shared by every bench/run.py scenario. Configured by environment variables:
--   BENCH_MODE    get | vote | body
--   BENCH_HEADER  get: one extra request header "Name: value" (e.g. If-None-Match)
--   BENCH_MAX_ID  vote: posts have ids 1..BENCH_MAX_ID; each request votes a random one, ±1
--   BENCH_BODY    body: prefix of the request body (file); BENCH_BODY_TAIL: the rest (file);
--                 a unique 24-byte tag goes between them, so every request is different
--                 (for images: every upload has new bytes, a new hash, a real PUT)
--   BENCH_BODY_ADLER  body with a PNG (bench/bodies.py tagged_png_head): "a b", the Adler-32
--                 state of the image data before the tag; the tag is then followed by the zlib
--                 stream's Adler-32 and the last IDAT chunk's CRC-32, computed here
--   BENCH_CTYPE   body: Content-Type of the request
--   BENCH_EXPECT  when set, the expected status (e.g. 201, 304): responses with another status
--                 are counted as "unexpected". Unset, wrk's own count of statuses >= 400 is all
--                 there is (a response() hook makes wrk copy every body into Lua: skipped for
--                 big bodies).
--   BENCH_RESULT  file the summary line (JSON) is written to
-- The `path` of the URL given to wrk is the request path.

local threads = {}
local counter = 1

function setup(thread)
  thread:set("thread_id", counter)
  table.insert(threads, thread)
  counter = counter + 1
end

local mode, max_id, header_name, header_value, body_pre, body_tail, ctype
local adler_a, adler_b -- set for a PNG body: the Adler-32 state before the tag
local seq = 0
local static_request

local function read_file(name)
  local f = assert(io.open(name, "rb"))
  local data = f:read("*a")
  f:close()
  return data
end

function init(args)
  mode = os.getenv("BENCH_MODE") or "get"
  local expect = tonumber(os.getenv("BENCH_EXPECT") or "")
  if expect then
    unexpected = 0
    response = function(status, headers, body)
      if status ~= expect then
        unexpected = unexpected + 1
      end
    end
  end
  math.randomseed(os.time() * 1000 + (thread_id or 0) * 7919)
  if mode == "get" then
    local headers = {}
    local h = os.getenv("BENCH_HEADER")
    if h and h ~= "" then
      local name, value = h:match("^([^:]+):%s*(.*)$")
      headers[name] = value
    end
    static_request = wrk.format("GET", nil, headers, nil)
  elseif mode == "vote" then
    max_id = tonumber(os.getenv("BENCH_MAX_ID"))
  elseif mode == "body" then
    body_pre = read_file(os.getenv("BENCH_BODY"))
    body_tail = read_file(os.getenv("BENCH_BODY_TAIL"))
    local adler = os.getenv("BENCH_BODY_ADLER")
    if adler and adler ~= "" then
      adler_a, adler_b = read_file(adler):match("^(%d+) (%d+)")
      adler_a, adler_b = tonumber(adler_a), tonumber(adler_b)
    end
    ctype = os.getenv("BENCH_CTYPE")
  end
end

-- A PNG's last IDAT chunk (its length and type are in body_pre): the tag as the image's last
-- pixels, the zlib stream's Adler-32, then the chunk's CRC-32 (of "IDAT" and the data).
local bit = require("bit")
local crc_table = {}
for i = 0, 255 do
  local c = i
  for _ = 1, 8 do
    if bit.band(c, 1) == 1 then
      c = bit.bxor(bit.rshift(c, 1), 0xEDB88320)
    else
      c = bit.rshift(c, 1)
    end
  end
  crc_table[i] = c
end

local function crc32(s)
  local c = 0xFFFFFFFF
  for i = 1, #s do
    c = bit.bxor(crc_table[bit.band(bit.bxor(c, s:byte(i)), 0xFF)], bit.rshift(c, 8))
  end
  return bit.bxor(c, 0xFFFFFFFF)
end

local function be32(n)
  return string.char(bit.band(bit.rshift(n, 24), 255), bit.band(bit.rshift(n, 16), 255),
    bit.band(bit.rshift(n, 8), 255), bit.band(n, 255))
end

local function png_tag_chunk(tag)
  local a, b = adler_a, adler_b
  for i = 1, #tag do
    a = (a + tag:byte(i)) % 65521
    b = (b + a) % 65521
  end
  local data = tag .. be32(b * 65536 + a)
  return data .. be32(crc32("IDAT" .. data))
end

function request()
  if mode == "vote" then
    local body = string.format('{"post_id":%d,"score_increase":%d}',
      math.random(1, max_id), math.random(0, 1) * 2 - 1)
    return wrk.format("POST", nil, { ["Content-Type"] = "application/json" }, body)
  elseif mode == "body" then
    seq = seq + 1
    local tag = string.format("t%02d-%020d", thread_id, seq):sub(1, 24)
    if adler_a then
      tag = png_tag_chunk(tag)
    end
    return wrk.format("POST", nil, { ["Content-Type"] = ctype }, body_pre .. tag .. body_tail)
  end
  return static_request
end

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local e = summary.errors
  local unexpected = -1
  for _, thread in ipairs(threads) do
    local n = thread:get("unexpected")
    if n then
      unexpected = math.max(unexpected, 0) + n
    end
  end
  local line = string.format(
    '{"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"status_errors":%d,"unexpected":%d,"socket_errors":%d,"timeouts":%d,"bytes":%d}',
    summary.requests, secs, summary.requests / secs,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.status, unexpected, e.connect + e.read + e.write, e.timeout, summary.bytes)
  local out = os.getenv("BENCH_RESULT")
  if out and out ~= "" then
    local f = assert(io.open(out, "w"))
    f:write(line, "\n")
    f:close()
  end
  io.write("result: ", line, "\n")
end
