package interop

// XA through the SDK: dtmcli.XaGlobalTransaction prepares, calls each branch with op `action` and
// `phase2_url`, and submits or aborts. The branch service here is a resource manager that behaves on
// the wire as dtmcli.XaLocalTransaction does (read from the SDK's dtmcli/xa.go): on `action` it runs
// its local work (here: recorded, no database) and, when that succeeded, registers its branch with
// dtmimp.TransRegisterBranch `{url: phase2_url, branch_id}`; on `commit`/`rollback` it finishes the
// prepared local transaction. xa_postgres_test.go runs the SDK's own XaLocalTransaction on PostgreSQL.

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dtm-labs/client/dtmcli"
	"github.com/dtm-labs/client/dtmcli/dtmimp"
	"github.com/go-resty/resty/v2"
)

type xaRM struct {
	base string
	// routes whose local work fails (nothing is registered, as XaLocalTransaction when xaFunc errs)
	failing map[string]bool

	mu  sync.Mutex
	log []string // "<route> <op> <method> <body>"
}

func startXaRM(t *testing.T, failing ...string) *xaRM {
	t.Helper()
	rm := &xaRM{failing: map[string]bool{}}
	for _, f := range failing {
		rm.failing[f] = true
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("xa RM listen: %v", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(rm.serve), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	rm.base = fmt.Sprintf("http://%s/api/xa", ln.Addr())
	return rm
}

func (rm *xaRM) url(route string) string { return rm.base + "/" + route }

func (rm *xaRM) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	route := strings.TrimPrefix(r.URL.Path, "/api/xa/")
	xa, err := dtmcli.XaFromQuery(r.URL.Query())
	rm.mu.Lock()
	rm.log = append(rm.log, fmt.Sprintf("%s %s %s %s", route, r.URL.Query().Get("op"), r.Method, body))
	rm.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case err != nil:
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, err.Error())
	case xa.Op == dtmimp.OpCommit || xa.Op == dtmimp.OpRollback:
		_, _ = io.WriteString(w, `{"dtm_result":"SUCCESS"}`)
	case rm.failing[route]:
		// the local transaction failed and was rolled back: nothing was prepared, nothing registered
		w.WriteHeader(http.StatusConflict)
		_, _ = io.WriteString(w, `{"dtm_result":"FAILURE","message":"Insufficient balance"}`)
	default:
		// XA START, local work, XA END, XA PREPARE, then the registration (dtmcli.XaLocalTransaction)
		if err := dtmimp.TransRegisterBranch(&xa.TransBase, map[string]string{"url": xa.Phase2URL, "branch_id": xa.BranchID}, "registerBranch"); err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, err.Error())
			return
		}
		_, _ = io.WriteString(w, `{"dtm_result":"SUCCESS"}`)
	}
}

func (rm *xaRM) calls() []string {
	rm.mu.Lock()
	defer rm.mu.Unlock()
	return append([]string(nil), rm.log...)
}

func transferXa(rm *xaRM) dtmcli.XaGlobalFunc {
	return func(xa *dtmcli.Xa) (*resty.Response, error) {
		if _, err := xa.CallBranch(transReq, rm.url("TransOut")); err != nil {
			return nil, err
		}
		return xa.CallBranch(transReq, rm.url("TransIn"))
	}
}

func TestXaNormal(t *testing.T) {
	t.Parallel()
	rm := startXaRM(t)
	gid := dtmcli.MustGenGid(dtxServer)
	if err := dtmcli.XaGlobalTransaction(dtxServer, gid, transferXa(rm)); err != nil {
		t.Fatalf("XaGlobalTransaction: %v", err)
	}
	q := waitStatus(t, gid, dtmcli.StatusSucceed, finalTimeout)
	assertEqual(t, "branch rows", q.rows(), []string{"prepared", "succeed", "prepared", "succeed"})
	assertEqual(t, "phase-2 URLs", []string{q.Branches[0].URL, q.Branches[3].URL}, []string{rm.url("TransOut"), rm.url("TransIn")})
	// dtx commits in registration order, POST with an empty body (spec §7.6)
	assertEqual(t, "RM calls", rm.calls(), []string{
		"TransOut action POST " + transReqJSON, "TransIn action POST " + transReqJSON, "TransOut commit POST ", "TransIn commit POST ",
	})
}

func TestXaRollback(t *testing.T) {
	t.Parallel()
	rm := startXaRM(t, "TransIn")
	gid := dtmcli.MustGenGid(dtxServer)
	err := dtmcli.XaGlobalTransaction(dtxServer, gid, transferXa(rm))
	if err == nil || !strings.Contains(err.Error(), "FAILURE") {
		t.Fatalf("XaGlobalTransaction = %v, want the branch's FAILURE", err)
	}
	q := waitStatus(t, gid, dtmcli.StatusFailed, finalTimeout)
	// only the registered branch is rolled back (TestXaRollback)
	assertEqual(t, "branch rows", q.rows(), []string{"succeed", "prepared"})
	assertEqual(t, "RM calls", rm.calls(), []string{
		"TransOut action POST " + transReqJSON, "TransIn action POST " + transReqJSON, "TransOut rollback POST ",
	})
}
