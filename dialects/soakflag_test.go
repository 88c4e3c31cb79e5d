package dialects

import "flag"

// Every test binary takes -soak, so that `go test ./... -run Soak -soak=10m`
// runs the gateway's TestSoak that long.
var _ = flag.Duration("soak", 0, "how long gateway's TestSoak runs")
