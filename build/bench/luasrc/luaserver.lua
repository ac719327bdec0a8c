-- The benchmark's LuaJIT server: what cserver.c does, through LibMongoose.
-- Usage: luajit luaserver.lua PORT (LibMongoose on LUA_PATH). Prints "ready".
io.stdout:setvbuf("no")
local mg = require "LibMongoose"
local HTTP_MSG, WS_MSG = mg.HTTP_MSG, mg.WS_MSG
local mgr = mg.Manager()
local headers = "Content-Type: text/plain\r\n"
mgr:http_listen("http://127.0.0.1:" .. arg[1], function(ev)
  local t = ev.type
  if t == HTTP_MSG then
    if ev.uri == "/ws" then ev:upgrade() else ev:reply(200, "hello", headers) end
  elseif t == WS_MSG then
    local p, n = ev:body_ptr()     -- echo without copying the message
    ev:ws_send(p, ev.opcode, n)
  end
end)
print("ready")
mgr:run(100)
