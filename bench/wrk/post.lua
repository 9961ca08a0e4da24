-- POST /items with a valid JSON body (answered 201), as a static request.
wrk.method = "POST"
wrk.body = '{"name":"pen","price":1.5}'
wrk.headers["Content-Type"] = "application/json"

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")
