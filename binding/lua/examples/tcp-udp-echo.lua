-- TCP and UDP echo servers on the same port number.
--   luajit examples/tcp-udp-echo.lua [port]   then: nc 127.0.0.1 8000, nc -u 127.0.0.1 8000
-- Finds mongoose.lua and LibMongoose.lua in the directory above this one.
package.path = ((arg[0]:match("^(.*)[/\\]") or ".") .. "/../?.lua;") .. package.path
local mg = require "LibMongoose"
io.stdout:setvbuf("no") -- print at once, even into a pipe

local port = tonumber(arg[1]) or 8000
local mgr = mg.Manager()
local function echo(ev)
  if ev.type == mg.READ then ev:send(ev.body) end
end
mgr:tcp_listen("tcp://127.0.0.1:" .. port, echo)
mgr:udp_listen("udp://127.0.0.1:" .. port, echo)
print(("TCP and UDP echo on 127.0.0.1:%d"):format(port))
mgr:run()
