-- Edge assembly of logged-in pages (docs/edge-assembly.md).
--
-- A logged-in GET of the home, a listing or the search page is put together here from
--   - the page's member shell: rendered by the web tier (GET <page>, X-Edge-Shell: 1),
--     the same for every member, kept here for EDGE_CACHE_SECONDS per cache generation
--     (the anonymous micro-cache's period, and the same purge on writes: haproxy.cfg);
--   - the viewer fragment: GET /api/v1/viewer with the visitor's authenticator, asked of
--     the experience API on every request (nothing per member is kept here).
-- The shell's markers are filled from the fragment. Whenever that cannot be done exactly
-- as the web tier would do it, the request goes on to the web tier untouched.
--
-- Used by haproxy.cfg: `http-request lua.edge_assemble` (sets txn.edge_assembled when a
-- page is ready), then `http-request use-service lua.edge_assembled`; and
-- `lua.edge_assembly_stats` on the stats frontend (GET /edge-assembly: the counters).

local json = require("cjson.safe")

local PERIOD_MS = math.floor((tonumber(os.getenv("EDGE_CACHE_SECONDS") or "1") or 1) * 1000)
if PERIOD_MS < 100 then PERIOD_MS = 100 end
-- A shell older than this is never used, even while its successor is being rendered.
local STALE_MS = 3 * PERIOD_MS
local WAIT_MS = 1000          -- longest wait for another request's render of a shell
local POLL_MS = 2
local TIMEOUT_MS = 5000       -- per internal request (shell render, viewer fragment)
-- Shells kept at once, in bytes (many distinct search URLs pass through); one shell at
-- most a megabyte, as the pages cache's objects.
local MAX_BYTES = (tonumber(os.getenv("EDGE_ASSEMBLY_MB") or "64") or 64) * 1048576
local MAX_SHELL_BYTES = 1048576
local MAX_HEARTS = 100        -- the viewer fragment answers for at most this many listings
-- Where HAProxy listens for these internal requests (haproxy.cfg, frontend edge_internal).
local INTERNAL = "abns@marketplace-edge-" .. (os.getenv("HAPROXY_PORT") or "8000")
-- The alphabet of Django's CSRF secrets.
local CSRF_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

local stats = { assembled = 0, shell_hits = 0, shell_misses = 0, passed = {} }

local function pass(reason)
  stats.passed[reason] = (stats.passed[reason] or 0) + 1
end

local function now_ms()
  local t = core.now()
  return t.sec * 1000 + math.floor(t.usec / 1000)
end

-- ---- The shell: parsed once into parts, filled per request -------------------------
-- A part is a string, or a table: {slot = name}, or a block {kind, a = parts[, b = parts],
-- listing, seller}. Any marker outside the grammar makes the whole page "not a shell".
local SLOTS = {
  ["mp:user-id"] = true, ["mp:username"] = true, ["mp:csrf"] = true,
  ["mp:token"] = true, ["mp:unread-count"] = true,
}
local SHELL_START = "<!--mp:shell 1-->"

local function compile(body)
  if body:sub(1, #SHELL_START) ~= SHELL_START then
    return nil
  end
  local root, stack = {}, {}
  local cur = root
  local hearts, seen = {}, {}
  local pos = #SHELL_START + 1
  while true do
    local first, last, name, args = body:find("<!%-%-(/?mp:[%w%-]+)([^<>]-)%-%->", pos)
    if first == nil then break end
    if first > pos then cur[#cur + 1] = body:sub(pos, first - 1) end
    pos = last + 1
    if SLOTS[name] and args == "" then
      cur[#cur + 1] = { slot = name }
    elseif name == "mp:unread" and args == "" then
      local block = { kind = "unread", a = {} }
      cur[#cur + 1] = block
      stack[#stack + 1] = block
      cur = block.a
    elseif name == "mp:seller" or name == "mp:heart" then
      local block
      if name == "mp:seller" then
        local seller = args:match("^ (%d+)$")
        if seller == nil then return nil end
        block = { kind = "seller", seller = tonumber(seller), a = {} }
      else
        local listing, seller = args:match("^ (%d+) (%d+)$")
        if listing == nil then return nil end
        block = { kind = "heart", listing = tonumber(listing), seller = tonumber(seller), a = {} }
        if not seen[block.listing] then
          seen[block.listing] = true
          hearts[#hearts + 1] = block.listing
        end
      end
      cur[#cur + 1] = block
      stack[#stack + 1] = block
      cur = block.a
    elseif name == "mp:else" and args == "" then
      local block = stack[#stack]
      if block == nil or block.kind == "unread" or block.b ~= nil then return nil end
      block.b = {}
      cur = block.b
    elseif name:sub(1, 1) == "/" and args == "" then
      local block = stack[#stack]
      if block == nil or "/mp:" .. block.kind ~= name then return nil end
      if block.kind ~= "unread" and block.b == nil then return nil end
      stack[#stack] = nil
      local parent = stack[#stack]
      if parent == nil then
        cur = root
      else
        cur = parent.b or parent.a
      end
    else
      return nil
    end
  end
  if #stack > 0 then return nil end
  if pos <= #body then root[#root + 1] = body:sub(pos) end
  if #hearts > MAX_HEARTS then return nil end
  return { parts = root, hearts = hearts }
end

-- As django.utils.html.escape.
local ESCAPES = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;", ["'"] = "&#x27;" }
local function escape_html(text)
  return (text:gsub("[&<>\"']", ESCAPES))
end

local function fill(parts, viewer, out)
  for _, part in ipairs(parts) do
    if type(part) == "string" then
      out[#out + 1] = part
    elseif part.slot ~= nil then
      out[#out + 1] = viewer.slots[part.slot]
    elseif part.kind == "heart" then
      -- None on one's own listing, nor when the favourites could not be read (as
      -- favourites.templatetags.favourites.Hearts).
      if part.seller ~= viewer.id and viewer.favourited ~= nil then
        fill(viewer.favourited[part.listing] and part.a or part.b, viewer, out)
      end
    elseif part.kind == "seller" then
      fill(part.seller == viewer.id and part.a or part.b, viewer, out)
    elseif viewer.unread > 0 then -- unread
      fill(part.a, viewer, out)
    end
  end
  return out
end

-- ---- CSRF: what Django's get_token() gives for the visitor's cookie ----------------
local function random_chars(txn, count, alphabet)
  local chars, n = {}, #alphabet
  while #chars < count do
    local bits = txn.f:rand() -- 32 random bits from HAProxy's generator
    for _ = 1, 5 do           -- 5 characters of 6 bits each
      local value = bits % 64
      bits = bits // 64
      if value < n and #chars < count then
        chars[#chars + 1] = alphabet:sub(value + 1, value + 1)
      end
    end
  end
  return table.concat(chars)
end

-- django.middleware.csrf._mask_cipher_secret: a fresh mask per page, so a compressed
-- page never repeats the secret (BREACH).
local function masked_token(txn, secret)
  local mask = random_chars(txn, 32, CSRF_CHARS)
  local cipher = {}
  for i = 1, 32 do
    local s = CSRF_CHARS:find(secret:sub(i, i), 1, true) - 1
    local m = CSRF_CHARS:find(mask:sub(i, i), 1, true) - 1
    local c = (s + m) % #CSRF_CHARS
    cipher[i] = CSRF_CHARS:sub(c + 1, c + 1)
  end
  return mask .. table.concat(cipher)
end

-- The cookie Django sends again with every page that carries a token (its expiry
-- renewed). The web tier gives its exact form with the shell (X-Edge-Csrf-Cookie: its
-- name, attributes and Max-Age as its settings say), with the secret and the expiry date
-- left as markers: no CSRF setting is repeated here.
local function csrf_cookie_form(template)
  if template == nil then return nil end
  local name = template:match("^([%w_%-]+)=<!%-%-mp:csrf%-secret%-%->")
  if name == nil then return nil end
  return { name = name, template = template, age = tonumber(template:match("Max%-Age=(%d+)")) }
end

local function csrf_cookie(form, secret)
  local cookie = form.template:gsub("<!%-%-mp:csrf%-secret%-%->", secret)
  if form.age ~= nil then
    local expires = os.date("!%a, %d %b %Y %H:%M:%S GMT", os.time() + form.age)
    cookie = cookie:gsub("<!%-%-mp:expires%-%->", expires)
  end
  return cookie
end

-- ---- Internal requests --------------------------------------------------------------
local function internal_get(txn, path, headers)
  headers["host"] = { txn.sf:req_hdr("host") }
  headers["x-request-id"] = { txn.sf:req_hdr("x-request-id") }
  headers["x-forwarded-for"] = { txn.sf:src() }
  local ok, response = pcall(function()
    return core.httpclient():get { url = "http://edge" .. path, dst = INTERNAL,
      headers = headers, timeout = TIMEOUT_MS }
  end)
  if not ok or response == nil then return nil end
  return response
end

local function first_header(response, name)
  local values = response.headers and response.headers[name]
  if type(values) == "table" then return values[0] or values[1] end
  return values
end

-- Response headers of the shell that the page keeps (the rest are set per page, or are
-- about the shell's own transfer).
local DROPPED = {
  ["content-length"] = true, ["transfer-encoding"] = true, ["connection"] = true,
  ["date"] = true, ["x-edge-shell"] = true, ["set-cookie"] = true,
  ["cache-control"] = true, ["x-cache-status"] = true, ["x-request-id"] = true,
  ["age"] = true, ["keep-alive"] = true, ["content-encoding"] = true,
  ["x-edge-csrf-cookie"] = true,
}

local function render_shell(txn, uri)
  local response = internal_get(txn, uri, { ["x-edge-shell"] = { "1" } })
  if response == nil or response.status ~= 200 then return nil end
  if first_header(response, "x-edge-shell") ~= "1" or first_header(response, "set-cookie") ~= nil
      or first_header(response, "cache-control") ~= nil then
    return nil
  end
  local body = response.body or ""
  if #body > MAX_SHELL_BYTES then return nil end
  local shell = compile(body)
  if shell == nil then return nil end
  shell.csrf = csrf_cookie_form(first_header(response, "x-edge-csrf-cookie"))
  if shell.csrf == nil then return nil end
  local headers = {}
  for name, values in pairs(response.headers or {}) do
    local lower = name:lower()
    if not DROPPED[lower] then
      for _, value in pairs(values) do
        headers[#headers + 1] = { lower, value }
      end
    end
  end
  shell.headers = headers
  shell.bytes = #body
  return shell
end

-- shells[generation .. " " .. host .. " " .. uri] = {shell = ..., at = ms, rendering_since = ms,
-- failed_at = ms}; shell_count entries, shell_bytes the bodies of their shells.
local shells, shell_count, shell_bytes = {}, 0, 0

local function keep(entry, shell)
  if entry.shell ~= nil then shell_bytes = shell_bytes - entry.shell.bytes end
  entry.shell = shell
  if shell ~= nil then shell_bytes = shell_bytes + shell.bytes end
end

local function shell_for(txn)
  local uri = txn.sf:path() .. (txn.sf:query() and ("?" .. txn.sf:query()) or "")
  -- Keyed as the pages cache is: Host and URI (and the cache generation).
  local key = tostring(txn:get_var("proc.edge_generation") or "0") .. " "
      .. (txn.sf:req_hdr("host") or "") .. " " .. uri
  local now = now_ms()
  local entry = shells[key]
  if entry ~= nil and entry.shell ~= nil and now - entry.at < PERIOD_MS then
    return entry.shell, true
  end
  -- The page had no shell a moment ago (an error page, a degraded one): the web tier
  -- renders it whole until the next period, rather than twice per request.
  if entry ~= nil and entry.failed_at ~= nil and now - entry.failed_at < PERIOD_MS then
    return nil, false
  end
  if entry ~= nil and entry.rendering_since ~= nil and now - entry.rendering_since < TIMEOUT_MS then
    -- Another request is rendering it: the previous shell while it is young enough,
    -- else wait for the new one a moment.
    if entry.shell ~= nil and now - entry.at < STALE_MS then
      return entry.shell, true
    end
    local deadline = now + WAIT_MS
    while entry.rendering_since ~= nil and now_ms() < deadline do
      core.msleep(POLL_MS)
    end
    if entry.shell ~= nil and now_ms() - entry.at < STALE_MS then
      return entry.shell, true
    end
  end
  if entry == nil then
    if shell_bytes >= MAX_BYTES then
      return render_shell(txn, uri), false -- used, not kept
    end
    entry = {}
    shells[key] = entry
    shell_count = shell_count + 1
  end
  entry.rendering_since = now
  local shell = render_shell(txn, uri)
  entry.rendering_since = nil
  if shell ~= nil then
    keep(entry, shell)
    entry.at, entry.failed_at = now_ms(), nil
  else
    entry.failed_at = now_ms()
  end
  return shell, false
end

-- Forget shells not rendered for a while (and those of older generations).
core.register_task(function()
  while true do
    core.sleep(5)
    local oldest = now_ms() - 10 * STALE_MS
    for key, entry in pairs(shells) do
      local last = entry.at or entry.failed_at
      if entry.rendering_since == nil and (last == nil or last < oldest) then
        keep(entry, nil)
        shells[key] = nil
        shell_count = shell_count - 1
      end
    end
  end
end)

local function viewer_for(txn, authenticator, shell)
  local query = "listings=" .. table.concat(shell.hearts, ",")
  local listing = txn.sf:path():match("^/listings/(%d+)/$")
  if listing ~= nil then query = query .. "&viewed=" .. listing end
  local response = internal_get(txn, "/api/v1/viewer?" .. query,
    { ["authorization"] = { "Bearer " .. authenticator } })
  if response == nil then return nil, "viewer_unreachable" end
  if response.status ~= 200 then return nil, "viewer_" .. tostring(response.status) end
  local answer = json.decode(response.body or "")
  if type(answer) ~= "table" or type(answer.viewer) ~= "table" then
    return nil, "viewer_malformed"
  end
  -- lua-cjson gives every number as a float.
  local user, favourites = answer.viewer, answer.favourited
  local id = type(user.id) == "number" and math.tointeger(user.id) or nil
  if id == nil or type(user.username) ~= "string" then
    return nil, "viewer_malformed"
  end
  -- null: models-api could not say; the page then has no hearts at all. (Passing the
  -- page on to the web tier instead would count its view twice: this request has
  -- recorded it already.)
  local favourited = nil
  if type(favourites) == "table" then
    favourited = {}
    for _, listing in ipairs(favourites) do
      local listing_id = type(listing) == "number" and math.tointeger(listing)
      if listing_id then favourited[listing_id] = true end
    end
  end
  local unread = type(user.unread_messages) == "number" and math.tointeger(user.unread_messages) or 0
  return { id = id, username = user.username, unread = unread, favourited = favourited }
end

core.register_action("edge_assemble", { "http-req" }, function(txn)
  local authenticator = txn.sf:req_cook("auth") or ""
  -- What the web tier would not send upstream (core.auth), or would answer with a new
  -- CSRF cookie.
  if not authenticator:match("^[A-Za-z0-9_%-]+$") or #authenticator < 16 or #authenticator > 128 then
    return pass("authenticator_malformed")
  end
  local shell, hit = shell_for(txn)
  if shell == nil then return pass("no_shell") end
  local secret = txn.sf:req_cook(shell.csrf.name) or ""
  if #secret ~= 32 or not secret:match("^[A-Za-z0-9]+$") then
    return pass("no_csrf_cookie")
  end
  local viewer, why = viewer_for(txn, authenticator, shell)
  if viewer == nil then return pass(why) end
  viewer.slots = {
    ["mp:user-id"] = tostring(viewer.id),
    ["mp:username"] = escape_html(viewer.username),
    ["mp:csrf"] = masked_token(txn, secret),
    ["mp:token"] = (txn.f:uuid():gsub("-", "")),
    ["mp:unread-count"] = tostring(viewer.unread),
  }
  local body = table.concat(fill(shell.parts, viewer, {}))
  txn:set_priv({ body = body, headers = shell.headers, cookie = csrf_cookie(shell.csrf, secret), hit = hit })
  txn:set_var("txn.edge_assembled", true)
  stats.assembled = stats.assembled + 1
  if hit then
    stats.shell_hits = stats.shell_hits + 1
  else
    stats.shell_misses = stats.shell_misses + 1
  end
end)

core.register_service("edge_assembled", "http", function(applet)
  local page = applet:get_priv()
  applet:set_status(200)
  for _, header in ipairs(page.headers) do
    applet:add_header(header[1], header[2])
  end
  -- What the web tier adds to every logged-in page (core.middleware, Django's CSRF).
  applet:add_header("cache-control", "private, no-cache")
  applet:add_header("set-cookie", page.cookie)
  applet:add_header("x-cache-status", "BYPASS")
  applet:add_header("x-edge-assembly", page.hit and "HIT" or "MISS")
  applet:add_header("content-length", tostring(#page.body))
  applet:start_response()
  applet:send(page.body)
end)

core.register_service("edge_assembly_stats", "http", function(applet)
  local body = json.encode({
    assembled = stats.assembled, shell_hits = stats.shell_hits,
    shell_misses = stats.shell_misses, passed_to_web = stats.passed, shells_kept = shell_count,
    shell_bytes = shell_bytes,
  })
  applet:set_status(200)
  applet:add_header("content-type", "application/json")
  applet:add_header("cache-control", "no-store")
  applet:add_header("content-length", tostring(#body))
  applet:start_response()
  applet:send(body)
end)
