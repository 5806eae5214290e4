-- wrk script: POST a unique ShipStation V1 ORDER_NOTIFY webhook per request,
-- so JetStream de-duplication never short-cuts a publish. The token is in
-- the URL wrk is given (…/webhooks/shipstation?token=…).
local counter = 0
local threads = 0
local run = os.time()

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init(args)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"resource_url":"https://ssapi.shipstation.com/orders?storeID=123456&importBatch=wrk-%d-%d-%012d","resource_type":"ORDER_NOTIFY"}',
    run, tid, counter)
  return wrk.format(nil, nil, nil, body)
end
