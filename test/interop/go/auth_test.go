package interop

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/dtm-labs/client/dtmcli"
	"github.com/dtm-labs/dtmdriver"
	"github.com/go-resty/resty/v2"
)

// TestAuthBearerToken runs against a dtx started with Auth.Tokens (DTX_AUTH_TOKEN, set by
// go-interop.test.ts in a second `go test -run TestAuth` pass): without the header the SDK's calls
// are refused with 401; with the header added through the SDK's own request hooks
// (dtmdriver.Middlewares.HTTP, run by every resty client of the SDK) MustGenGid and a saga work.
func TestAuthBearerToken(t *testing.T) {
	token := os.Getenv("DTX_AUTH_TOKEN")
	if token == "" {
		t.Fatal("DTX_AUTH_TOKEN is not set: run this test through go-interop.test.ts (go test -run TestAuth) against a dtx with AUTH_TOKENS")
	}
	b := startBusi(t)

	refused := dtmcli.NewSaga(dtxServer, "auth-refused").Add(b.url("TransOut"), b.url("TransOutCompensate"), transReq)
	if err := refused.Submit(); err == nil || !strings.Contains(err.Error(), "401") && !strings.Contains(err.Error(), "authentication required") {
		t.Fatalf("saga.Submit without a token: got %v, want a 401 naming the missing token", err)
	}

	dtmdriver.Middlewares.HTTP = append(dtmdriver.Middlewares.HTTP, func(c *resty.Client, r *resty.Request) error {
		r.SetHeader("Authorization", "Bearer "+token)
		return nil
	})
	gid := dtmcli.MustGenGid(dtxServer)
	if err := newTransferSaga(b, gid).Submit(); err != nil {
		t.Fatalf("saga.Submit with the token: %v", err)
	}
	deadline := time.Now().Add(finalTimeout)
	for {
		if s := authedStatus(t, gid, token); s == dtmcli.StatusSucceed {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("saga %s did not succeed within %s; last status %q", gid, finalTimeout, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
	assertEqual(t, "branch calls", b.routes(), []string{"TransOut", "TransIn"})
	if code := queryStatusCode(t, gid, ""); code != http.StatusUnauthorized {
		t.Fatalf("query without a token: HTTP %d, want 401", code)
	}
}

func authedStatus(t *testing.T, gid, token string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, dtxServer+"/query?gid="+url.QueryEscape(gid), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("query %s: %v", gid, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var q queryResult
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &q) != nil {
		t.Fatalf("query %s: HTTP %d %s", gid, resp.StatusCode, raw)
	}
	return q.status()
}

func queryStatusCode(t *testing.T, gid, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, dtxServer+"/query?gid="+url.QueryEscape(gid), nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("query %s: %v", gid, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
