-- wrk script for the benchmark's HTTP group (bench/lib/wrk.ts sets the environment).
--
-- Every request names a subject: a new one per request (WRK_SUBJECTS=0, "distinct") or one of
-- WRK_SUBJECTS tenants in turn ("repeated", as real traffic repeats tenants). The subject goes
-- where the template had it: between WRK_PATH_BEFORE and WRK_PATH_AFTER, or between
-- WRK_BODY_BEFORE and WRK_BODY_AFTER for a POST. WRK_HEADERS: "name: value" lines.
-- done() prints one line "WRK_JSON {...}" with the counts and latency percentiles (microseconds).

local method = os.getenv("WRK_METHOD") or "GET"
local path_before = os.getenv("WRK_PATH_BEFORE") or "/"
local path_after = os.getenv("WRK_PATH_AFTER") or ""
local body_before = os.getenv("WRK_BODY_BEFORE")
local body_after = os.getenv("WRK_BODY_AFTER") or ""
local cycle = tonumber(os.getenv("WRK_SUBJECTS") or "0")
local prefix = os.getenv("WRK_SUBJECT_PREFIX") or "tenant-"

local headers = {}
for line in (os.getenv("WRK_HEADERS") or ""):gmatch("[^\n]+") do
  local name, value = line:match("^([^:]+):%s*(.*)$")
  if name then headers[name] = value end
end

local n = 0

function request()
  n = n + 1
  local subject = prefix .. (cycle > 0 and (n % cycle) or n)
  if body_before then
    return wrk.format(method, path_before, headers, body_before .. subject .. body_after)
  end
  return wrk.format(method, path_before .. subject .. path_after, headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"durationUs":%d,"connectErrors":%d,"readErrors":%d,"writeErrors":%d,"statusErrors":%d,"timeouts":%d,"p50Us":%.1f,"p99Us":%.1f}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
