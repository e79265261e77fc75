-- wrk script: readers sending the comment form, each request a different comment.
--
-- Every request POSTs a distinct comment (thread number and a counter in its body) with the
-- form token the benchmark fetched from the post page first. Each 303's Location names the
-- stored comment (`#comment-<id>`); each thread writes those ids, one a line, to
-- BENCH_OUT-<thread>.ids so the benchmark can check afterwards that every accepted comment
-- is stored exactly once.
--
-- Environment: BENCH_PATH (the post's permalink), BENCH_TOKEN, BENCH_OUT (a path prefix),
-- BENCH_TAG (marks this run's comments), BENCH_EMAIL=1 to send an email address too.

local path = os.getenv("BENCH_PATH")
local token = os.getenv("BENCH_TOKEN")
local out = os.getenv("BENCH_OUT")
local tag = os.getenv("BENCH_TAG") or "run"
local with_email = os.getenv("BENCH_EMAIL") == "1"
local threads = {}

local function encode(text)
  return (text:gsub("[^%w%-_%.~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

function setup(thread)
  table.insert(threads, thread)
  thread:set("number", #threads)
end

function init(args)
  counter = 0
  accepted = 0
  refused = 0
  ids = io.open(out .. "-" .. number .. ".ids", "w")
end

function request()
  counter = counter + 1
  local name = tag .. "-" .. number .. "-" .. counter
  local form = "name=Bench+reader&body=" .. encode("Bench comment " .. name .. ".")
    .. "&comment_token=" .. encode(token)
  if with_email then
    form = form .. "&email=" .. encode("reader-" .. name .. "@example.org")
  end
  return wrk.format("POST", path, { ["Content-Type"] = "application/x-www-form-urlencoded" }, form)
end

function response(status, headers, body)
  if status == 303 then
    accepted = accepted + 1
    local location = headers["Location"] or headers["location"] or ""
    ids:write((location:match("#comment%-(%d+)$") or "?") .. "\n")
    ids:flush()
  else
    refused = refused + 1
  end
end

function done(summary, latency, requests)
  local total_accepted, total_refused = 0, 0
  for _, thread in ipairs(threads) do
    total_accepted = total_accepted + thread:get("accepted")
    total_refused = total_refused + thread:get("refused")
  end
  io.write(string.format("accepted %d refused %d\n", total_accepted, total_refused))
end
