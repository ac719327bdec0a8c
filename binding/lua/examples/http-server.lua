-- An HTTP server: a greeting on /, the files of ./files/ under /files/
-- (the URI path maps into the current directory), and POST bodies echoed.
--   luajit examples/http-server.lua [port]      then: curl http://127.0.0.1:8000/
-- Finds mongoose.lua and LibMongoose.lua in the directory above this one.
package.path = ((arg[0]:match("^(.*)[/\\]") or ".") .. "/../?.lua;") .. package.path
local mg = require "LibMongoose"
io.stdout:setvbuf("no") -- print at once, even into a pipe

local port = tonumber(arg[1]) or 8000
local mgr = mg.Manager()
mgr:http_listen("http://127.0.0.1:" .. port, function(ev)
  if ev.type ~= mg.HTTP_MSG then return end
  if ev.method == "POST" then
    ev:reply(200, ev.body, { ["Content-Type"] = "application/octet-stream" })
  elseif ev.uri:sub(1, 7) == "/files/" then
    ev:serve_dir(".")
  else
    ev:reply(200, "hello from mongoose " .. mg.version .. "\n", { ["Content-Type"] = "text/plain" })
  end
end)
print(("mongoose %s with %s on http://127.0.0.1:%d"):format(mg.version, mg.openssl_version, port))
mgr:run()
