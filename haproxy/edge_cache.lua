-- Edge micro-cache: one render per page per period, stale-while-revalidate.
--
-- HAProxy 2.6's cache has no request collapsing: when a popular page's copy expires,
-- every request that arrives before the next copy is stored goes to the web tier (with
-- 50 busy connections, 50 renders at once, which starve HAProxy itself of CPU). Here the
-- copies' lifetime is decided by this script instead: time is cut into periods of
-- EDGE_CACHE_SECONDS, each page's copy is stored under a key naming its period (and the
-- cache generation, see haproxy.cfg), and for each page
--   - a copy of the current period exists: it is served (a HIT);
--   - otherwise the first request renders it (the leader, a MISS); while it does, the
--     others are served the newest earlier copy if it is at most STALE_PERIODS older,
--     or wait for the leader (at most WAIT_MS) if there is none (first visit, or a new
--     generation: a copy from before a write is never served).
-- So a page is rendered about once per period per generation, and no copy older than
-- three periods is served. HAProxy's own max-age (EDGE_CACHE_MAX_AGE, 4 s) must cover
-- that; it only bounds memory.
--
-- Used by haproxy.cfg: `http-request lua.edge_choose_copy` before `cache-use` (sets
-- txn.edge_copy, folded into the cache key) and `http-response lua.edge_copy_done`.

local PERIOD_MS = math.floor((tonumber(os.getenv("EDGE_CACHE_SECONDS") or "1") or 1) * 1000)
if PERIOD_MS < 100 then PERIOD_MS = 100 end
local WAIT_MS = 1000          -- longest wait for a leader when there is no copy at all
local LEADER_TIMEOUT_MS = 3000 -- a leader that never answered is replaced after this
local POLL_MS = 2
local SETTLE_MS = 20           -- time given to a copy's body to be stored after its headers
-- How old a copy may be served while the next one renders, in periods: a leader slowed
-- down by a busy machine may take longer than one period.
local STALE_PERIODS = 2

-- pages[gen .. " " .. url] = {ready = period of the newest stored copy,
--                              fetching = period being rendered, since = ms}
local pages = {}

local function now_ms()
  local t = core.now()
  return t.sec * 1000 + math.floor(t.usec / 1000)
end

local function page_key(txn)
  local gen = txn:get_var("proc.edge_generation") or "0"
  return tostring(gen) .. " " .. (txn.sf:path() or "") .. "?" .. (txn.sf:query() or "")
end

local function copy_name(txn, period)
  local gen = txn:get_var("proc.edge_generation") or "0"
  return "g" .. tostring(gen) .. "p" .. tostring(period)
end

-- The newest copy that is surely stored whole: a copy is marked ready when its headers
-- pass, its body is stored a moment later (a lookup in between would miss).
local function settled_copy(page, now)
  if page.ready ~= nil and now - page.ready_at >= SETTLE_MS then
    return page.ready
  end
  return page.older
end

core.register_action("edge_choose_copy", { "http-req" }, function(txn)
  local key = page_key(txn)
  local now = now_ms()
  local period = math.floor(now / PERIOD_MS)
  local page = pages[key]
  if page == nil then
    page = {}
    pages[key] = page
  end
  txn:set_var("txn.edge_page", key)
  txn:set_var("txn.edge_period", period)

  local usable = settled_copy(page, now)
  if usable == period then
    txn:set_var("txn.edge_copy", copy_name(txn, period))
    return
  end
  if page.pass_until ~= nil and now < page.pass_until then
    -- The page's last render could not be stored (an error page, a cookie): nobody waits
    -- for a render that will not be shared; an earlier good copy is still served.
    if usable ~= nil and usable >= period - STALE_PERIODS then
      txn:set_var("txn.edge_copy", copy_name(txn, usable))
    else
      txn:set_var("txn.edge_copy", copy_name(txn, period))
    end
    return
  end
  local leader_busy = page.fetching == period and (now - page.since) < LEADER_TIMEOUT_MS
  if not leader_busy and page.ready ~= period then
    page.fetching = period
    page.since = now
    txn:set_var("txn.edge_leader", 1)
    txn:set_var("txn.edge_copy", copy_name(txn, period))
    return
  end
  if usable ~= nil and usable >= period - STALE_PERIODS then
    txn:set_var("txn.edge_copy", copy_name(txn, usable))
    return
  end
  -- No copy to fall back on: wait for the leader's, then look it up.
  local deadline = now + WAIT_MS
  while settled_copy(page, now_ms()) ~= period and now_ms() < deadline
      and (page.fetching == period or page.ready == period) do
    core.msleep(POLL_MS)
  end
  txn:set_var("txn.edge_copy", copy_name(txn, period))
end)

core.register_action("edge_copy_done", { "http-res" }, function(txn)
  if txn:get_var("txn.edge_leader") == nil then
    return
  end
  local page = pages[txn:get_var("txn.edge_page") or ""]
  local period = txn:get_var("txn.edge_period")
  if page == nil or period == nil then
    return
  end
  -- A hit: another request (not waiting for a leader) stored this period's copy.
  if txn:get_var("txn.edge_store") or txn:get_var("txn.edge_hit") then
    if page.ready == nil or page.ready < period then
      page.older = page.ready
      page.ready = period
      page.ready_at = now_ms()
    end
    page.pass_until = nil
  else
    page.pass_until = now_ms() + PERIOD_MS
  end
  if page.fetching == period then
    page.fetching = nil
  end
end)

-- Forget pages not asked for in a while (many distinct search URLs pass through).
core.register_task(function()
  while true do
    core.sleep(10)
    local oldest = math.floor(now_ms() / PERIOD_MS) - 10
    for key, page in pairs(pages) do
      local last = page.ready or page.fetching or 0
      if last < oldest then
        pages[key] = nil
      end
    end
  end
end)

-- Page views. The experience API publishes a page-view event when it serves a listing
-- (GET /api/v1/listings/<id>); an anonymous listing page served from this cache never
-- gets there. Those views are counted here (`http-response lua.edge_count_view` on a
-- hit) and posted about once a second to the experience API's internal
-- POST /internal/page-views (service token), which publishes one anonymous page-view
-- event per view, as if each had reached it.
local EXP_ADDR = os.getenv("EXP_ADDR") or "127.0.0.1:8200"
local SERVICE_TOKEN = os.getenv("SERVICE_TOKEN")
local MAX_VIEWS_PER_LISTING = 100000 -- per posting (the endpoint's limit)
local LISTINGS_PER_POST = 500
local views = {}

core.register_action("edge_count_view", { "http-res" }, function(txn)
  local id = txn:get_var("txn.edge_listing")
  if id ~= nil then
    local count = (views[id] or 0) + 1
    if count <= MAX_VIEWS_PER_LISTING then
      views[id] = count
    end
  end
end)

local function post_views(batch)
  local parts = {}
  for id, count in pairs(batch) do
    parts[#parts + 1] = string.format('"%s": %d', id, count)
  end
  local body = '{"views": {' .. table.concat(parts, ", ") .. "}}"
  local ok, response = pcall(function()
    return core.httpclient():post {
      url = "http://" .. EXP_ADDR .. "/internal/page-views",
      body = body,
      headers = {
        ["Content-Type"] = { "application/json" },
        -- Django reads no chunked request body: say how long it is.
        ["Content-Length"] = { tostring(#body) },
        ["X-Service-Token"] = { SERVICE_TOKEN },
      },
      timeout = 5000,
    }
  end)
  return ok and response ~= nil and response.status == 202
end

core.register_task(function()
  if SERVICE_TOKEN == nil or SERVICE_TOKEN == "" then
    core.Warning("edge cache: no SERVICE_TOKEN, views served from the cache are not counted")
    return
  end
  while true do
    core.sleep(1)
    if next(views) ~= nil then
      local pending = views
      views = {}
      local batch, size = {}, 0
      local failed = {}
      for id, count in pairs(pending) do
        batch[id] = count
        size = size + 1
        if size == LISTINGS_PER_POST then
          if not post_views(batch) then failed[#failed + 1] = batch end
          batch, size = {}, 0
        end
      end
      if size > 0 and not post_views(batch) then failed[#failed + 1] = batch end
      -- The experience API is down or restarting: keep the counts for the next try.
      for _, lost in ipairs(failed) do
        for id, count in pairs(lost) do
          views[id] = math.min((views[id] or 0) + count, MAX_VIEWS_PER_LISTING)
        end
      end
      if #failed > 0 then
        core.Warning("edge cache: page views not delivered to the experience API; retrying")
      end
    end
  end
end)
