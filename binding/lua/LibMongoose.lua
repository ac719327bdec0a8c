-- LibMongoose.lua: the high-level LuaJIT binding of mongoose-ffi.
--
--   local mg = require "LibMongoose"
--   local mgr = mg.Manager()
--   mgr:http_listen("http://127.0.0.1:8000", function(ev)
--     if ev.type == mg.HTTP_MSG then ev:reply(200, "hello\n") end
--   end)
--   mgr:run()
--
-- C never calls into Lua: mgr:poll() fetches a batch of events from the
-- library and calls the Lua handlers while it walks it. The event handed to a
-- handler is one table per manager, reused for every event: its string fields
-- (method, uri, query, proto, body, headers, local_addr, remote_addr) are made
-- on first access only, and are valid until the handler returns. Keep
-- ev:copy() (a plain table) to hold on to an event.
local ffi = require "ffi"
local mongoose = require "mongoose"

local C = mongoose.load().bindings
local K = mongoose.constants
local band = require("bit").band

local mg = {
  version = mongoose.version,
  openssl_version = mongoose.openssl_version,
  library = mongoose.path,
  -- kinds
  HTTP = K.MG_FFI_HTTP, TCP = K.MG_FFI_TCP, UDP = K.MG_FFI_UDP,
  -- WebSocket opcodes
  TEXT = K.MG_FFI_WS_TEXT, BINARY = K.MG_FFI_WS_BINARY,
}

-- Event types as mg.ACCEPT, mg.HTTP_MSG, ..., and their names by number
-- ("accept", "http_msg", ...), for handler tables.
local names = {}
for n, name in pairs(mongoose.ffi_events) do
  local short = name:gsub("^MG_FFI_EV_", "")
  mg[short] = n
  names[n] = short:lower()
end
mg.event_names = names
local EV_CLOSE = K.MG_FFI_EV_CLOSE
local F_TLS, F_CLIENT, F_WS, F_UDP, F_LISTENER = K.MG_FFI_F_TLS, K.MG_FFI_F_CLIENT, K.MG_FFI_F_WEBSOCKET,
  K.MG_FFI_F_UDP, K.MG_FFI_F_LISTENER

-- fail raises a Lua error with the library's message for code.
local function fail(what, code, detail)
  local msg = ffi.string(C.mg_ffi_strerror(code))
  -- Blame the first caller outside this file.
  local level, me = 2, debug.getinfo(1, "S").source
  while debug.getinfo(level + 1, "S") and debug.getinfo(level + 1, "S").source == me do level = level + 1 end
  error(("LibMongoose: %s: %s%s"):format(what, msg, detail and (" (" .. detail .. ")") or ""), level + 1)
end

-- buffer turns data into pointer and length: a string, or a cdata pointer
-- with a length.
local function buffer(what, data, len)
  local t = type(data)
  if t == "string" then return data, len or #data end
  if t == "cdata" and len then return data, len end
  if data == nil then
    fail(what, K.MG_FFI_ERR_ARG, "data is nil: give a string, or a cdata pointer and a length")
  end
  fail(what, K.MG_FFI_ERR_ARG, "data is a " .. t .. ": give a string, or a cdata pointer and a length")
end

-- headers turns nil, a "Name: value\r\n" block or a {name = value} table
-- into the block the library takes.
local function headers(h)
  if h == nil or type(h) == "string" then return h end
  local out = {}
  for k, v in pairs(h) do out[#out + 1] = k .. ": " .. tostring(v) .. "\r\n" end
  table.sort(out)
  return table.concat(out)
end

-- pem returns PEM text: the value itself if it holds PEM, else the
-- contents of the file it names.
local function pem(what, v)
  if v == nil then return nil, 0 end
  if type(v) ~= "string" then fail(what, K.MG_FFI_ERR_ARG, "a PEM string or a file name, not a " .. type(v)) end
  if not v:find("-----BEGIN", 1, true) then
    local f, err = io.open(v, "rb")
    if not f then fail(what, K.MG_FFI_ERR_ARG, "not PEM text, and cannot read it as a file: " .. tostring(err)) end
    local text = f:read("*a")
    f:close()
    if not text:find("-----BEGIN", 1, true) then fail(what, K.MG_FFI_ERR_ARG, v .. " holds no PEM") end
    v = text
  end
  return v, #v
end

local function is_tls_url(url)
  return url:match("^https://") or url:match("^wss://") or url:match("^tls://") or url:match("^ssl://")
    or url:match("^mqtts://")
end

---------------------------------------------------------------------------
-- Events

local Event = {}

-- Lazy fields: made from the batch on first access, kept for this event.
local lazy = {
  method = function(e) return ffi.string(e.method.ptr, e.method.len) end,
  uri = function(e) return ffi.string(e.uri.ptr, e.uri.len) end,
  query = function(e) return ffi.string(e.query.ptr, e.query.len) end,
  proto = function(e) return ffi.string(e.proto.ptr, e.proto.len) end,
  body = function(e) return ffi.string(e.body.ptr, e.body.len) end,
  local_addr = function(e) return ffi.string(e["local"].ptr, e["local"].len) end,
  remote_addr = function(e) return ffi.string(e.remote.ptr, e.remote.len) end,
  headers = function(e)
    local h = {}
    for i = 0, e.nheaders - 1 do
      local x = e.headers[i]
      h[#h + 1] = { name = ffi.string(x.name.ptr, x.name.len), value = ffi.string(x.value.ptr, x.value.len) }
    end
    return h
  end,
}
local flagbits = { is_tls = F_TLS, is_client = F_CLIENT, is_websocket = F_WS, is_udp = F_UDP, is_listener = F_LISTENER }

local eventMeta = {
  __index = function(t, k)
    local f = lazy[k]
    if f then
      local v = f(t._evp[0][t._i])
      rawset(t, k, v)
      rawset(t, "_dirty", true)
      return v
    end
    local bitv = flagbits[k]
    if bitv then return band(t.flags, bitv) ~= 0 end
    if k == "name" then return names[t.type] end
    if k == "opcode" then return t.status end
    return Event[k]
  end,
}

-- header returns the value of the first header named name (any case).
function Event:header(name)
  local e = self._evp[0][self._i]
  local n = #name
  for i = 0, e.nheaders - 1 do
    local x = e.headers[i]
    if x.name.len == n and ffi.string(x.name.ptr, n):lower() == name:lower() then
      return ffi.string(x.value.ptr, x.value.len)
    end
  end
  return nil
end

-- body_ptr gives the body without copying it: pointer and length, valid
-- until the next poll.
function Event:body_ptr()
  local e = self._evp[0][self._i]
  return e.body.ptr, tonumber(e.body.len)
end

-- copy returns a plain table of every field, safe to keep.
function Event:copy()
  local c = { type = self.type, name = self.name, id = self.id, listener = self.listener, flags = self.flags,
    status = self.status }
  for k in pairs(lazy) do c[k] = self[k] end
  for k in pairs(flagbits) do c[k] = self[k] end
  return c
end

function Event:reply(status, body, hdrs) return self.mgr:reply(self.id, status, body, hdrs) end
function Event:chunk_start(status, hdrs) return self.mgr:chunk_start(self.id, status, hdrs) end
function Event:chunk(data, len) return self.mgr:chunk(self.id, data, len) end
function Event:chunk_end() return self.mgr:chunk_end(self.id) end
function Event:serve_dir(root, hdrs) return self.mgr:serve_dir(self.id, root, hdrs) end
function Event:serve_file(path, hdrs) return self.mgr:serve_file(self.id, path, hdrs) end
function Event:upgrade(hdrs) return self.mgr:upgrade(self.id, hdrs) end
function Event:ws_send(data, op, len) return self.mgr:ws_send(self.id, data, op, len) end
function Event:send(data, len) return self.mgr:send(self.id, data, len) end
function Event:close(now) return self.mgr:close(self.id, now) end

---------------------------------------------------------------------------
-- Managers

local Manager = {}
Manager.__index = Manager

-- Manager creates an event manager. handler, if given, gets every event no
-- listener or connection handler takes.
function mg.Manager(handler)
  local p = C.mg_ffi_mgr_new()
  if p == nil then fail("Manager", K.MG_FFI_ERR_NOMEM) end
  local self = setmetatable({
    ptr = ffi.gc(p, C.mg_ffi_mgr_free),
    handlers = {},
    default = handler,
    evp = ffi.new("const struct mg_ffi_event *[1]"),
    idp = ffi.new("uint64_t[1]"),
    addrbuf = ffi.new("char[64]"),
  }, Manager)
  -- The event's methods live in it, so that calling one is a plain lookup.
  local ev = { mgr = self, _i = 0, _evp = self.evp }
  for k, f in pairs(Event) do ev[k] = f end
  self.ev = setmetatable(ev, eventMeta)
  return self
end
mg.new_manager = mg.Manager

-- free closes every connection and frees the manager now (else the GC does).
function Manager:free()
  if self.ptr ~= nil then
    C.mg_ffi_mgr_free(ffi.gc(self.ptr, nil))
    self.ptr = nil
  end
end

local function check(self, what)
  if self.ptr == nil then fail(what, K.MG_FFI_ERR_ARG, "the manager is freed") end
end

-- on sets the default handler.
function Manager:on(handler) self.default = handler end

-- listen opens a listener of kind (mg.HTTP, mg.TCP, mg.UDP) on url and
-- returns its id. tls = { cert = PEM or file, key = ..., ca = ... } for
-- https://, wss:// or tls:// URLs; ca makes clients present a certificate
-- signed by it (mutual TLS). handler gets the events of the listener and of
-- every connection it accepts.
-- tls_pems reads tls.cert, tls.key and tls.ca: PEM text or file names.
local function tls_pems(what, tls)
  local cert, cn = pem(what .. ": tls.cert", tls.cert)
  local key, kn = pem(what .. ": tls.key", tls.key)
  local ca, an = pem(what .. ": tls.ca", tls.ca)
  return cert, cn, key, kn, ca, an
end

-- opened registers the handler of a new listener or client, or raises.
local function opened(self, what, rc, handler)
  if rc < 0 then fail(what, rc) end
  local id = tonumber(self.idp[0])
  self.handlers[id] = handler
  return id
end

function Manager:listen(kind, url, handler, tls)
  check(self, "listen")
  local what = "listen " .. tostring(url)
  if type(url) ~= "string" then fail(what, K.MG_FFI_ERR_ARG, "url must be a string") end
  local cert, key, ca, cn, kn, an = nil, nil, nil, 0, 0, 0
  if tls then
    cert, cn, key, kn, ca, an = tls_pems(what, tls)
  elseif is_tls_url(url) then
    fail(what, K.MG_FFI_ERR_ARG, "a TLS URL needs tls = { cert = ..., key = ... }")
  end
  return opened(self, what, C.mg_ffi_listen(self.ptr, kind, url, cert, cn, key, kn, ca, an, self.idp), handler)
end

function Manager:http_listen(url, handler, tls) return self:listen(mg.HTTP, url, handler, tls) end
function Manager:tcp_listen(url, handler, tls) return self:listen(mg.TCP, url, handler, tls) end
function Manager:udp_listen(url, handler) return self:listen(mg.UDP, url, handler) end

-- connect opens a client connection of kind to url and returns its id.
-- TLS (https://, wss://, tls://) takes tls = { ca = PEM or file,
-- server_name = ..., cert = ..., key = ... } and verifies the server against
-- ca, else the system's roots, and its name (server_name, else the URL's
-- host). insecure = true is the only way to skip verification: anyone on the
-- path can then read and change the traffic. cert and key are for mutual TLS.
function Manager:connect(kind, url, handler, tls)
  check(self, "connect")
  local what = "connect " .. tostring(url)
  if type(url) ~= "string" then fail(what, K.MG_FFI_ERR_ARG, "url must be a string") end
  local ca, an, cert, cn, key, kn, sni, flags = nil, 0, nil, 0, nil, 0, nil, 0
  if tls then
    cert, cn, key, kn, ca, an = tls_pems(what, tls)
    sni = tls.server_name
    if tls.insecure then flags = K.MG_FFI_TLS_INSECURE_SKIP_VERIFY end
  end
  return opened(self, what, C.mg_ffi_connect(self.ptr, kind, url, ca, an, sni, cert, cn, key, kn, flags, self.idp), handler)
end

function Manager:http_connect(url, handler, tls) return self:connect(mg.HTTP, url, handler, tls) end
function Manager:tcp_connect(url, handler, tls) return self:connect(mg.TCP, url, handler, tls) end
function Manager:udp_connect(url, handler) return self:connect(mg.UDP, url, handler) end

-- handle sets the handler of one connection (an accepted one, say).
function Manager:handle(id, handler) self.handlers[id] = handler end

-- poll waits up to timeout_ms (0: not at all) for I/O, then calls the
-- handlers for every event of the batch; it returns the number of events.
function Manager:poll(timeout_ms)
  local p = self.ptr
  if p == nil then fail("poll", K.MG_FFI_ERR_ARG, "the manager is freed") end
  local n = C.mg_ffi_poll(p, timeout_ms or 0, self.evp)
  if n < 0 then fail("poll", n) end
  if n == 0 then return 0 end
  local batch = self.evp[0]
  local ev, handlers, default = self.ev, self.handlers, self.default
  for i = 0, n - 1 do
    local e = batch[i]
    if ev._dirty then
      ev.method, ev.uri, ev.query, ev.proto, ev.body, ev.headers = nil, nil, nil, nil, nil, nil
      ev.local_addr, ev.remote_addr, ev._dirty = nil, nil, nil
    end
    local typ, id, listener = e.type, tonumber(e.id), tonumber(e.listener)
    ev._i, ev.type, ev.id, ev.listener, ev.flags, ev.status = i, typ, id, listener, e.flags, e.status
    local h = handlers[id] or handlers[listener] or default
    if h then
      if type(h) == "function" then
        h(ev)
      else
        local f = h[names[typ]] or h.default
        if f then f(ev) end
      end
    end
    if typ == EV_CLOSE then handlers[id] = nil end
  end
  return n
end

-- run polls until stop() is called, waiting up to timeout_ms (100 by default)
-- each time.
function Manager:run(timeout_ms)
  self.running = true
  while self.running do self:poll(timeout_ms or 100) end
end

function Manager:stop() self.running = false end

local function rc_check(what, id, rc)
  if rc < 0 then fail(what .. "(id " .. tostring(id) .. ")", rc) end
  return true
end

-- reply sends a whole HTTP response; hdrs is "Name: value\r\n" lines or a table.
function Manager:reply(id, status, body, hdrs)
  check(self, "reply")
  local p, n = "", 0
  if body ~= nil then p, n = buffer("reply", body) end
  return rc_check("reply", id, C.mg_ffi_http_reply(self.ptr, id, status or 200, headers(hdrs), p, n))
end

-- chunk_start begins a chunked response; chunk sends a part; chunk_end ends it.
function Manager:chunk_start(id, status, hdrs)
  check(self, "chunk_start")
  return rc_check("chunk_start", id, C.mg_ffi_http_chunk_start(self.ptr, id, status or 200, headers(hdrs)))
end

function Manager:chunk(id, data, len)
  check(self, "chunk")
  local p, n = buffer("chunk", data, len)
  if n == 0 then return true end -- an empty chunk would end the reply
  return rc_check("chunk", id, C.mg_ffi_http_chunk(self.ptr, id, p, n))
end

function Manager:chunk_end(id)
  check(self, "chunk_end")
  return rc_check("chunk_end", id, C.mg_ffi_http_chunk(self.ptr, id, nil, 0))
end

-- serve_dir and serve_file answer the connection's request of this poll's
-- batch from a directory or a file.
function Manager:serve_dir(id, root, hdrs)
  check(self, "serve_dir")
  return rc_check("serve_dir", id, C.mg_ffi_http_serve_dir(self.ptr, id, root, headers(hdrs)))
end

function Manager:serve_file(id, path, hdrs)
  check(self, "serve_file")
  return rc_check("serve_file", id, C.mg_ffi_http_serve_file(self.ptr, id, path, headers(hdrs)))
end

-- upgrade turns the connection's HTTP request into a WebSocket; a ws_open
-- event follows.
function Manager:upgrade(id, hdrs)
  check(self, "upgrade")
  return rc_check("upgrade", id, C.mg_ffi_ws_upgrade(self.ptr, id, headers(hdrs)))
end

-- ws_send sends a WebSocket message, text unless op says otherwise.
function Manager:ws_send(id, data, op, len)
  check(self, "ws_send")
  local p, n = buffer("ws_send", data, len)
  return rc_check("ws_send", id, C.mg_ffi_ws_send(self.ptr, id, p, n, op or mg.TEXT))
end

-- send sends raw bytes: a TCP stream, a UDP datagram.
function Manager:send(id, data, len)
  check(self, "send")
  local p, n = buffer("send", data, len)
  return rc_check("send", id, C.mg_ffi_send(self.ptr, id, p, n))
end

-- close closes gracefully (after what is queued), or at once if now.
function Manager:close(id, now)
  check(self, "close")
  return rc_check("close", id, C.mg_ffi_close(self.ptr, id, now and 1 or 0))
end

-- wakeup delivers a wakeup event carrying data to connection id.
function Manager:wakeup(id, data)
  check(self, "wakeup")
  local p, n = buffer("wakeup", data or "")
  return rc_check("wakeup", id, C.mg_ffi_wakeup(self.ptr, id, p, n))
end

-- addr returns a connection's local (or remote) address as "ip:port".
function Manager:addr(id, remote)
  check(self, "addr")
  local rc = C.mg_ffi_addr(self.ptr, id, remote and 1 or 0, self.addrbuf, 64)
  rc_check("addr", id, rc)
  return ffi.string(self.addrbuf, rc)
end

-- port returns the port a connection (a listener on port 0, say) is bound to.
function Manager:port(id)
  return tonumber(self:addr(id):match(":(%d+)$"))
end

-- luv drives this manager from a luv loop: a timer polls without waiting
-- every interval_ms (1 by default). Returns the timer; timer:close() stops it.
function Manager:luv(uv, interval_ms)
  uv = uv or require "luv"
  local timer = uv.new_timer()
  local mgr = self
  timer:start(0, interval_ms or 1, function() mgr:poll(0) end)
  return timer
end

---------------------------------------------------------------------------
-- Encodings and hashes (the library's own)

local scratch, scratch_len = nil, 0
local function out(n)
  if n > scratch_len then
    scratch_len = math.max(n, 256)
    scratch = ffi.new("uint8_t[?]", scratch_len)
  end
  return scratch
end

function mg.base64_encode(data)
  local p, n = buffer("base64_encode", data)
  local cap = 4 * math.ceil(n / 3) + 1
  local r = tonumber(C.mg_ffi_base64_encode(p, n, ffi.cast("char *", out(cap)), cap))
  if r < 0 then fail("base64_encode", r) end
  return ffi.string(scratch, r)
end

function mg.base64_decode(data)
  local p, n = buffer("base64_decode", data)
  local cap = math.floor(n * 3 / 4) + 4
  local r = tonumber(C.mg_ffi_base64_decode(p, n, out(cap), cap))
  if r < 0 then fail("base64_decode", r, "not base64") end
  return ffi.string(scratch, r)
end

-- crc32 of data, continuing from crc (0 to start).
function mg.crc32(data, crc)
  local p, n = buffer("crc32", data)
  return tonumber(C.mg_ffi_crc32(crc or 0, p, n))
end

-- md5 and sha1 return the raw digest; mg.hex makes it hex.
function mg.md5(data)
  local p, n = buffer("md5", data)
  C.mg_ffi_md5(p, n, out(16))
  return ffi.string(scratch, 16)
end

function mg.sha1(data)
  local p, n = buffer("sha1", data)
  C.mg_ffi_sha1(p, n, out(20))
  return ffi.string(scratch, 20)
end

function mg.hex(s)
  return (s:gsub(".", function(c) return ("%02x"):format(c:byte()) end))
end

-- log_level sets mongoose's logging: 0 none .. 4 verbose.
function mg.log_level(level) C.mg_ffi_log_level(level) end

mg.mongoose = mongoose
return mg
