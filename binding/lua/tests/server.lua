-- Servers for the Go test's real clients (net/http, a WebSocket client,
-- net): HTTP and HTTPS echo, WebSocket and wss echo, TCP, TLS and UDP echo,
-- chunked replies and files. Prints the ports, then polls until killed.
-- Env: MONGOOSE_LIBRARY, TEST_CERTS, TEST_FILES (a directory to serve).
io.stdout:setvbuf("no")
local mg = require "LibMongoose"
local certs, files = os.getenv("TEST_CERTS"), os.getenv("TEST_FILES")
local mgr = mg.Manager()

local function http(ev)
  local t = ev.type
  if t == mg.HTTP_MSG then
    local uri = ev.uri
    if uri == "/ws" then
      ev:upgrade("X-Upgraded: lua\r\n")
    elseif uri == "/chunked" then
      ev:chunk_start(200, { ["Content-Type"] = "text/plain" })
      for _, c in ipairs({ "one,", "two,", "three" }) do ev:chunk(c) end
      ev:chunk_end()
    elseif uri == "/file" then
      ev:serve_file(files .. "/hello.txt", "X-Served: file\r\n")
    elseif uri:sub(1, 8) == "/static/" then
      ev:serve_dir(files)
    else
      local names = {}
      for _, h in ipairs(ev.headers) do names[#names + 1] = h.name:lower() end
      table.sort(names)
      ev:reply(201, ev.body, "X-Method: " .. ev.method .. "\r\nX-Uri: " .. uri .. "\r\nX-Query: " .. ev.query
        .. "\r\nX-Test: " .. (ev:header("x-test") or "") .. "\r\nX-Names: " .. table.concat(names, ",")
        .. "\r\nX-Sha1: " .. mg.hex(mg.sha1(ev.body)) .. "\r\n")
    end
  elseif t == mg.WS_MSG then
    ev:ws_send(ev.body, ev.opcode)
  end
end

local function echo(ev)
  if ev.type == mg.READ then ev:send(ev.body) end
end

local tls = { cert = certs .. "/srv.pem", key = certs .. "/srv.key" }
local ports = {
  http = mgr:port(mgr:http_listen("http://127.0.0.1:0", http)),
  https = mgr:port(mgr:http_listen("https://127.0.0.1:0", http, tls)),
  tcp = mgr:port(mgr:tcp_listen("tcp://127.0.0.1:0", echo)),
  tls = mgr:port(mgr:tcp_listen("tls://127.0.0.1:0", echo, tls)),
  udp = mgr:port(mgr:udp_listen("udp://127.0.0.1:0", echo)),
}
print(("PORTS http=%d https=%d tcp=%d tls=%d udp=%d"):format(ports.http, ports.https, ports.tcp, ports.tls, ports.udp))
mgr:run(50)
