package cube_test

import "flag"

// Every test binary takes the soak's flags, so that `go test ./... -run
// Soak -soak=10m` runs the gateway's TestSoak that long.
var (
	_ = flag.Duration("soak", 0, "how long gateway's TestSoak runs")
	_ = flag.Duration("soak.faults", 0, "mean time between the soak's injected faults")
)
