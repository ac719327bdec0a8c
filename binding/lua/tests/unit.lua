-- Tests of the Lua binding that need no outside client, run by luajit from
-- the Go test (mongoose/lua_test.go) with the library built for this machine.
-- Env: MONGOOSE_LIBRARY, TEST_EXPORTS (exports.txt), TEST_CERTS (a directory
-- with ca.pem, srv.pem, srv.key, cli.pem, cli.key, wrongca.pem).
local ffi = require "ffi"
io.stdout:setvbuf("no")
local mg = require "LibMongoose"
local mongoose = require "mongoose"

local failures = 0
local function check(cond, what, ...)
  if cond then
    print("ok   " .. what)
  else
    failures = failures + 1
    print("FAIL " .. what, ...)
  end
end

-- Known vectors (RFC 1321, FIPS 180-1, the CRC-32 check value, RFC 4648).
check(mg.hex(mg.md5("")) == "d41d8cd98f00b204e9800998ecf8427e", "md5 empty")
check(mg.hex(mg.md5("abc")) == "900150983cd24fb0d6963f7d28e17f72", "md5 abc")
check(mg.hex(mg.md5("message digest")) == "f96b697d7cb7938d525a2f31aaf161d0", "md5 message digest")
check(mg.hex(mg.sha1("abc")) == "a9993e364706816aba3e25717850c26c9cd0d89d", "sha1 abc")
check(mg.hex(mg.sha1("")) == "da39a3ee5e6b4b0d3255bfef95601890afd80709", "sha1 empty")
check(mg.hex(mg.sha1(("a"):rep(1000000))) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f", "sha1 million a")
check(mg.crc32("123456789") == 0xCBF43926, "crc32 check value", mg.crc32("123456789"))
check(mg.crc32("56789", mg.crc32("1234")) == 0xCBF43926, "crc32 continued")
check(mg.crc32("") == 0, "crc32 empty")
local b64 = { [""] = "", f = "Zg==", fo = "Zm8=", foo = "Zm9v", foob = "Zm9vYg==", fooba = "Zm9vYmE=", foobar = "Zm9vYmFy" }
for plain, enc in pairs(b64) do
  check(mg.base64_encode(plain) == enc, "base64 encode " .. plain)
  check(mg.base64_decode(enc) == plain, "base64 decode " .. enc)
end
local bin = {}
for i = 0, 255 do bin[#bin + 1] = string.char(i) end
bin = table.concat(bin):rep(100)
check(mg.base64_decode(mg.base64_encode(bin)) == bin, "base64 round trip of 25600 binary bytes")

-- Every exported function resolves through bindings.
local n, missing = 0, {}
for name in io.lines(os.getenv("TEST_EXPORTS")) do
  if name ~= "" then
    local ok, f = pcall(function() return mongoose.bindings[name] end)
    if ok and type(f) == "cdata" then n = n + 1 else missing[#missing + 1] = name .. ": " .. tostring(f) end
  end
end
check(#missing == 0 and n > 200, "every export resolvable (" .. n .. ")", table.concat(missing, "\n"))
-- The raw mongoose API works through the generated declarations.
local s = mongoose.bindings.mg_str_s("hello")
check(tonumber(s.len) == 5 and ffi.string(s.buf, s.len) == "hello", "raw mg_str_s")
local rawmgr = mg.Manager() -- kept: its raw struct lives as long as it does
local raw = mongoose.bindings.mg_ffi_mgr_raw(rawmgr.ptr)
check(raw ~= nil and raw.dnstimeout > 0, "raw struct mg_mgr readable", raw.dnstimeout)
rawmgr:free()

-- The tables the Go test compares with the headers.
for k, v in pairs(mongoose.events) do print("EVENT", k, v) end
for k, v in pairs(mongoose.ffi_events) do print("FFIEVENT", k, v) end
for k, v in pairs(mongoose.constants) do print("CONST", k, v) end

-- Bad input: a Lua error with the library's message, never a crash.
local function errs(what, want, f, ...)
  local ok, err = pcall(f, ...)
  check(not ok and tostring(err):find(want, 1, true), what, err)
end
local noconn = ffi.string(mongoose.bindings.mg_ffi_strerror(mongoose.constants.MG_FFI_ERR_NOCONN))
local badarg = ffi.string(mongoose.bindings.mg_ffi_strerror(mongoose.constants.MG_FFI_ERR_ARG))
local m = mg.Manager()
local lid = m:tcp_listen("tcp://127.0.0.1:0", function(ev) if ev.type == mg.READ then ev:send(ev.body) end end)
local cid = m:tcp_connect("tcp://127.0.0.1:" .. m:port(lid), function() end)
m:poll(10)
m:close(cid, true)
for _ = 1, 20 do m:poll(10) end
errs("send to a closed id", noconn, m.send, m, cid, "x")
errs("reply to an unknown id", noconn, m.reply, m, 987654, 200, "x")
errs("ws_send to a closed id", noconn, m.ws_send, m, cid, "x")
errs("close of a closed id", noconn, m.close, m, cid)
errs("addr of a closed id", noconn, m.addr, m, cid)
errs("send nil", badarg, m.send, m, lid, nil)
errs("send a table", badarg, m.send, m, lid, {})
errs("chunk nil", badarg, m.chunk, m, lid, nil)
errs("listen wrong kind", badarg, m.listen, m, 42, "tcp://127.0.0.1:0")
errs("connect wrong kind", badarg, m.connect, m, 0, "tcp://127.0.0.1:1")
errs("listen nil url", badarg, m.listen, m, mg.TCP, nil)
errs("listen bad url", ffi.string(mongoose.bindings.mg_ffi_strerror(mongoose.constants.MG_FFI_ERR_LISTEN)),
  m.listen, m, mg.TCP, "tcp://300.1.1.1:99999")
errs("serve_file without a request", ffi.string(mongoose.bindings.mg_ffi_strerror(mongoose.constants.MG_FFI_ERR_NOREQ)),
  m.serve_file, m, lid, "/etc/hostname")
errs("base64 of garbage", badarg, mg.base64_decode, "***")
errs("load another library after the first", "loaded already", mongoose.load, "/other/mongoose.so")
check(mongoose.load() == mongoose and mongoose.load(mongoose.path) == mongoose, "load again returns the module")
errs("md5 of nil", badarg, mg.md5, nil)
errs("TLS listen without cert", badarg, m.listen, m, mg.TCP, "tls://127.0.0.1:0")
errs("TLS cert file missing", badarg, m.listen, m, mg.TCP, "tls://127.0.0.1:0", nil, { cert = "/nonexistent.pem", key = "x" })
m:free()
errs("poll a freed manager", badarg, m.poll, m, 0)
errs("send on a freed manager", badarg, m.send, m, lid, "x")

-- TLS: a client verifies the server against a CA and refuses a wrong one;
-- server names are checked; mutual TLS wants a client certificate.
local dir = os.getenv("TEST_CERTS")
local function read(name)
  local f = assert(io.open(dir .. "/" .. name, "rb"))
  local t = f:read("*a")
  f:close()
  return t
end
m = mg.Manager()
local echo = function(ev) if ev.type == mg.READ then ev:send(ev.body) end end
-- cert and key as PEM strings here, as files below.
local tls_port = m:port(m:tcp_listen("tls://127.0.0.1:0", echo, { cert = read("srv.pem"), key = read("srv.key") }))
local mtls_port = m:port(m:tcp_listen("tls://127.0.0.1:0", echo,
  { cert = dir .. "/srv.pem", key = dir .. "/srv.key", ca = dir .. "/ca.pem" }))
local https_port = m:port(m:http_listen("https://127.0.0.1:0", function(ev)
  if ev.type == mg.HTTP_MSG then ev:reply(200, "secure " .. ev.uri) end
end, { cert = dir .. "/srv.pem", key = dir .. "/srv.key" }))

local clients = {}
local function client(name, port, tls)
  local c = { name = name }
  clients[#clients + 1] = c
  m:tcp_connect("tls://127.0.0.1:" .. port, function(ev)
    if ev.type == mg.CONNECT then
      ev:send("ping " .. name)
    elseif ev.type == mg.READ then
      c.data = (c.data or "") .. ev.body
      if #c.data >= #("ping " .. name) then ev:close() end
    elseif ev.type == mg.ERROR then
      c.err = ev.body
    elseif ev.type == mg.CLOSE then
      c.closed = true
    end
  end, tls)
  return c
end
local good = client("good", tls_port, { ca = dir .. "/ca.pem" })
local goodpem = client("goodpem", tls_port, { ca = read("ca.pem"), server_name = "localhost" })
local wrong = client("wrong", tls_port, { ca = dir .. "/wrongca.pem" })
local badname = client("badname", tls_port, { ca = dir .. "/ca.pem", server_name = "other.example" })
local insecure = client("insecure", tls_port, { insecure = true })
local noca = client("noca", tls_port, {})
local mutual = client("mutual", mtls_port, { ca = dir .. "/ca.pem", cert = dir .. "/cli.pem", key = dir .. "/cli.key" })
local nocert = client("nocert", mtls_port, { ca = dir .. "/ca.pem" })
local https = {}
m:http_connect("https://127.0.0.1:" .. https_port, function(ev)
  if ev.type == mg.CONNECT then
    ev:send("GET /x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
  elseif ev.type == mg.HTTP_MSG then
    https.status, https.body = ev.status, ev.body
    ev:close()
  elseif ev.type == mg.CLOSE then
    https.closed = true
  end
end, { ca = dir .. "/ca.pem" })
clients[#clients + 1] = https

-- A generous guard only: each client ends by itself (data, or an error).
local deadline = os.time() + 60
local function all_closed()
  for _, c in ipairs(clients) do if not c.closed then return false end end
  return true
end
while not all_closed() and os.time() < deadline do m:poll(50) end
check(good.data == "ping good" and not good.err, "TLS client verifies the server against its CA", good.err)
check(goodpem.data == "ping goodpem", "TLS client with a PEM CA and server_name", goodpem.err)
check(wrong.data == nil and wrong.err ~= nil, "TLS client refuses a server of another CA", wrong.err)
check(badname.data == nil and badname.err ~= nil, "TLS client refuses a wrong server name", badname.err)
check(insecure.data == "ping insecure", "insecure = true skips verification", insecure.err)
check(noca.data == nil and noca.err ~= nil and noca.err:find("certificate verify failed", 1, true) ~= nil,
  "TLS client without ca verifies against the system roots and refuses a self-signed server", noca.err)
check(mutual.data == "ping mutual", "mutual TLS with a client certificate", mutual.err)
check(nocert.data == nil, "mutual TLS refuses a client without a certificate", nocert.err)
check(https.status == 200 and https.body == "secure /x", "HTTPS client and server", https.status, https.body)
m:free()

-- UDP echo between a client and a server of one manager.
m = mg.Manager()
local udp_port = m:port(m:udp_listen("udp://127.0.0.1:0", function(ev)
  if ev.type == mg.READ then ev:send(ev.body) end
end))
local udp_got
local uc = m:udp_connect("udp://127.0.0.1:" .. udp_port, function(ev)
  if ev.type == mg.READ then udp_got = ev.body end
end)
deadline = os.time() + 30
while not udp_got and os.time() < deadline do
  m:send(uc, "datagram") -- datagrams may be lost: resend until one comes back
  m:poll(50)
end
check(udp_got == "datagram", "UDP echo", udp_got)
m:free()

-- Non-blocking polls return at once, with or without events.
m = mg.Manager()
local t0 = os.clock()
for _ = 1, 100 do m:poll(0) end
check(os.clock() - t0 < 5, "poll(0) does not wait")
-- A handler table dispatches by event name; wakeup carries data.
local woke
local wl = m:tcp_listen("tcp://127.0.0.1:0", { wakeup = function(ev) woke = ev.body end })
m:wakeup(wl, "hi")
for _ = 1, 10 do m:poll(0) if woke then break end end
check(woke == "hi", "wakeup reaches a handler table's wakeup", woke)
-- ev:copy() outlives the event.
local kept
m:on(function(ev) if not kept then kept = ev:copy() end end)
local tl = m:tcp_listen("tcp://127.0.0.1:0", nil)
m:wakeup(tl, "copied")
for _ = 1, 10 do m:poll(0) if kept then break end end
check(kept and kept.body == "copied" and kept.name == "wakeup" and kept.is_listener == true, "ev:copy()", kept and kept.body)
m:free()

if failures > 0 then
  print(failures .. " FAILED")
  os.exit(1)
end
print("PASS")
