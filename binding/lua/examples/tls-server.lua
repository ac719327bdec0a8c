-- HTTPS and wss:// with a certificate and key (PEM files, or PEM text).
--   luajit examples/tls-server.lua cert.pem key.pem [port]   then: curl -k https://127.0.0.1:8443/
-- Finds mongoose.lua and LibMongoose.lua in the directory above this one.
package.path = ((arg[0]:match("^(.*)[/\\]") or ".") .. "/../?.lua;") .. package.path
local mg = require "LibMongoose"
io.stdout:setvbuf("no") -- print at once, even into a pipe

local cert, key = arg[1] or "cert.pem", arg[2] or "key.pem"
local port = tonumber(arg[3]) or 8443
local mgr = mg.Manager()
mgr:http_listen("https://127.0.0.1:" .. port, function(ev)
  if ev.type == mg.HTTP_MSG then
    if ev.uri == "/ws" then ev:upgrade() else ev:reply(200, "hello over TLS\n") end
  elseif ev.type == mg.WS_MSG then
    ev:ws_send(ev.body, ev.opcode)
  end
end, { cert = cert, key = key })
print(("https://127.0.0.1:%d/ and wss://127.0.0.1:%d/ws"):format(port, port))
mgr:run()
