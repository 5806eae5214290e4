package reconciler

import "encoding/json"

// jsonData is the event data of a listed record: the record as the client
// decoded it, re-encoded (ShipStation's Pacific times become RFC 3339 UTC,
// which the consumers read back exactly).
func jsonData(v any) ([]byte, error) { return json.Marshal(v) }
