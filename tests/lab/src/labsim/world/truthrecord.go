package world

// TruthRecord appends one record to truth.jsonl: the traffic generator's records of
// what it decided at a boot and of each DHCP message (package traffic, bootnet.go).
func (w *World) TruthRecord(rec map[string]any) { w.truthRecord(rec) }
