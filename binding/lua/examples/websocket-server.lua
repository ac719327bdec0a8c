-- A WebSocket echo server on /ws, and a page saying so elsewhere.
--   luajit examples/websocket-server.lua [port]   then a client on ws://127.0.0.1:8000/ws
-- Finds mongoose.lua and LibMongoose.lua in the directory above this one.
package.path = ((arg[0]:match("^(.*)[/\\]") or ".") .. "/../?.lua;") .. package.path
local mg = require "LibMongoose"
io.stdout:setvbuf("no") -- print at once, even into a pipe

local port = tonumber(arg[1]) or 8000
local mgr = mg.Manager()
mgr:http_listen("http://127.0.0.1:" .. port, {
  http_msg = function(ev)
    if ev.uri == "/ws" then
      ev:upgrade()
    else
      ev:reply(200, "WebSocket echo on /ws\n")
    end
  end,
  ws_open = function(ev) print("open", ev.id, ev.remote_addr) end,
  ws_msg = function(ev) ev:ws_send(ev.body, ev.opcode) end,
  close = function(ev) if ev.is_websocket then print("close", ev.id) end end,
})
print(("WebSocket echo on ws://127.0.0.1:%d/ws"):format(port))
mgr:run()
