package gateway

import (
	"net/http"
	"testing"

	"github.com/scimgw/scimgw/dialects/builtin"
	"github.com/scimgw/scimgw/dialects/conformance"
	"github.com/scimgw/scimgw/dialects/emulator"
)

// TestConformance runs the conformance suite — mapping tests, lifecycle,
// the Entra ID and Okta replays, with the wire contract and the backend
// state checked on every request — for every registered dialect.
func TestConformance(t *testing.T) {
	conformance.RunAll(t, builtin.Registry(), func(t *testing.T, config string) (http.Handler, func(string) *emulator.Server) {
		gw, _ := newGateway(t, "conformance.yaml", config)
		return gw.Handler(), func(tenant string) *emulator.Server { return gw.Emulator(tenant).(*emulator.Server) }
	})
}
