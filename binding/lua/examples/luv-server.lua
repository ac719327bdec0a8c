-- An HTTP server driven by a luv (libuv) loop, beside a luv timer.
--   luajit examples/luv-server.lua [port]   (Debian: apt-get install lua-luv)
-- Finds mongoose.lua and LibMongoose.lua in the directory above this one.
package.path = ((arg[0]:match("^(.*)[/\\]") or ".") .. "/../?.lua;") .. package.path
local mg = require "LibMongoose"
io.stdout:setvbuf("no") -- print at once, even into a pipe
local uv = require "luv"

local port = tonumber(arg[1]) or 8000
local mgr = mg.Manager()
local ticks = 0
mgr:http_listen("http://127.0.0.1:" .. port, function(ev)
  if ev.type == mg.HTTP_MSG then ev:reply(200, "hello from luv, " .. ticks .. " ticks\n") end
end)
local tick = uv.new_timer()
tick:start(100, 100, function() ticks = ticks + 1 end)
mgr:luv(uv)  -- polls mongoose from the loop
print(("luv and mongoose on http://127.0.0.1:%d"):format(port))
uv.run()
