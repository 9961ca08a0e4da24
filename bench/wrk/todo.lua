-- The todo benchmark's requests (bench/run.py todo), from the environment:
--   TODO_MODE   read | list | create | update
--   TODO_TOKEN  the bearer token sent with every request
--   TODO_ITEMS  update: a file with the list's item ids, one a line (all at version 1)
-- The URL given to wrk is the request's path for read, list and create, and the list's
-- items collection (/v1/lists/ID/items) for update.
--
-- update sends PATCH {"done":true} with the item's current version in If-Match: it goes
-- round-robin over the items, so an item is patched again only after every other one was,
-- and learns each new version from the answer's body (the updated item). A stale tag would
-- be answered 412, which wrk counts as a status error (reported by run.py).
local token = os.getenv("TODO_TOKEN")
local mode = os.getenv("TODO_MODE")
wrk.headers["Authorization"] = "Bearer " .. token

if mode == "create" then
  wrk.method = "POST"
  wrk.body = '{"title":"bench item","done":false}'
  wrk.headers["Content-Type"] = "application/json"
elseif mode == "update" then
  local ids, versions, turn = {}, {}, 0
  for line in io.lines(os.getenv("TODO_ITEMS")) do
    ids[#ids + 1] = line
    versions[line] = 1
  end
  request = function()
    turn = turn % #ids + 1
    local id = ids[turn]
    return wrk.format("PATCH", wrk.path .. "/" .. id, {
      ["Authorization"] = "Bearer " .. token,
      ["Content-Type"] = "application/json",
      ["If-Match"] = '"' .. versions[id] .. '"',
    }, '{"done":true}')
  end
  response = function(status, headers, body)
    if status == 200 then
      local id = body:match('"id":"([^"]+)"')
      local version = body:match('"version":(%d+)')
      if id and version then
        versions[id] = tonumber(version)
      end
    end
  end
end

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "report.lua")
