package gateway

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strconv"

	"github.com/gin-gonic/gin"
	"go.uber.org/zap"

	"github.com/scimgw/scimgw/dialects"
	"github.com/scimgw/scimgw/mappings"
	"github.com/scimgw/scimgw/mappings/scim"
)

// scimError is the RFC 7644 §3.12 error body; status is a string.
type scimError struct {
	Schemas  []string `json:"schemas"`
	Status   string   `json:"status"`
	ScimType string   `json:"scimType,omitempty"`
	Detail   string   `json:"detail"`
}

// clientError turns any error into the status, scimType and detail a client
// sees. It is the one place that does so. Backend 5xx details and internal
// errors are not shown: the client gets a short safe message with the
// request id, and the cause goes to the log under the same id.
func clientError(err error, rid string) (status int, scimType, detail string, retryAfter string) {
	var (
		de *dialects.Error
		ue *dialects.UpstreamError
		fe *scim.FilterError
		pe *scim.PatchError
		me *mappings.Error
	)
	switch {
	case errors.As(err, &de):
		status, scimType, detail, retryAfter = de.Status, de.ScimType, de.Detail, de.RetryAfter
		if de.Backend != "" && status < 500 {
			detail += "; the backend's message is in the gateway log under request id " + rid
		}
		switch {
		case status < 500, errors.Is(de, dialects.ErrUnsupported), errors.Is(de, dialects.ErrPartial), errors.Is(de, errGatewayBusy), errors.Is(de, errCircuitOpen):
			// The gateway's own words: safe to show.
		case errors.Is(de, errBackendCredentials):
			detail = "the backend rejected the gateway's credentials; the operator has been told (request id " + rid + ")"
		default:
			detail = safeDetail(status, rid)
		}
	case errors.As(err, &fe):
		status, scimType, detail = http.StatusBadRequest, "invalidFilter", fe.Error()
	case errors.As(err, &pe):
		status, scimType, detail = http.StatusBadRequest, pe.ScimType, pe.Error()
	case errors.As(err, &me):
		status, scimType, detail = http.StatusBadRequest, me.ScimType, me.Error()
	case errors.As(err, &ue):
		status = http.StatusBadGateway
		if ue.Timeout {
			status = http.StatusGatewayTimeout
		}
		detail = safeDetail(status, rid)
		if ue.Ambiguous {
			detail += "; the backend may or may not have applied the change"
		}
	case errors.Is(err, context.DeadlineExceeded):
		status, detail = http.StatusGatewayTimeout, safeDetail(http.StatusGatewayTimeout, rid)
	case errors.Is(err, context.Canceled):
		status, detail = 499, "client closed the request"
	default:
		status, detail = http.StatusInternalServerError, "internal error (request id "+rid+")"
	}
	if status == http.StatusConflict {
		scimType = "uniqueness"
	}
	if detail == "" {
		detail = http.StatusText(status)
	}
	return status, scimType, detail, retryAfter
}

// Describe renders an error as a client would see it: status, SCIM error
// type and detail. For tools.
func Describe(err error) string {
	status, scimType, detail, _ := clientError(err, "-")
	if scimType != "" {
		return fmt.Sprintf("%d %s: %s", status, scimType, detail)
	}
	return fmt.Sprintf("%d: %s", status, detail)
}

func safeDetail(status int, rid string) string {
	var what string
	switch status {
	case http.StatusBadGateway:
		what = "the backend failed or could not be reached"
	case http.StatusServiceUnavailable:
		what = "the backend is unavailable"
	case http.StatusGatewayTimeout:
		what = "the backend did not answer in time"
	case http.StatusNotImplemented:
		what = "the backend does not support this operation"
	default:
		what = "the backend failed (status " + strconv.Itoa(status) + ")"
	}
	return what + " (request id " + rid + ")"
}

// writeError renders err as a SCIM error and logs what the client does not see.
func (g *Gateway) writeError(c *gin.Context, t *tenant, rid string, err error) int {
	status, scimType, detail, retryAfter := clientError(err, rid)
	// A backend's vendor code or correlation id is in the detail: never a
	// secret it echoed.
	detail = t.redact(c, detail)
	log := g.log
	if t != nil {
		log = t.log
	}
	var de *dialects.Error
	if errors.As(err, &de) && de.Backend != "" && status < 500 {
		// The backend's own words, for the operator; never for the client.
		log.Info("backend refused the request", zap.String("request_id", rid), zap.Int("status", status), zap.String("backend_message", t.redact(c, de.Backend)))
	}
	if (status >= 500 || status == 499) && !errors.Is(err, errCircuitOpen) { // an open circuit: logged once, when it opened
		log.Warn("request failed", zap.String("request_id", rid), zap.Int("status", status), zap.String("error", t.redact(c, err.Error())))
	}
	if retryAfter != "" && (status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable) {
		c.Header("Retry-After", retryAfter)
	}
	body, _ := json.Marshal(scimError{Schemas: []string{scim.ErrorURN}, Status: strconv.Itoa(status), ScimType: scimType, Detail: detail})
	c.Data(status, scimContentType, body)
	return status
}

var requestIDRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// newRequestID returns the request's id: the client's X-Request-Id when it
// is safe to log, otherwise a new random one. It is echoed in the response.
func newRequestID(c *gin.Context) string {
	if rid := c.Writer.Header().Get("X-Request-Id"); rid != "" {
		return rid // already given to this request
	}
	rid := c.GetHeader("X-Request-Id")
	if !requestIDRE.MatchString(rid) {
		// An id, not a secret: math/rand/v2's generator (ChaCha8, seeded
		// at random) is unpredictable enough and needs no system call.
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], rand.Uint64())
		rid = hex.EncodeToString(b[:])
	}
	c.Header("X-Request-Id", rid)
	return rid
}
