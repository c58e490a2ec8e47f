package interop

// The SDK's branch barrier (dtmcli.BranchBarrier) on a real PostgreSQL, behind a saga and a tcc run
// by dtx. Each test injects what the barrier exists for: a duplicated call (the business effect must
// happen once), an empty compensation/cancel (its action/try never ran) and a late action/try that
// arrives after its compensation/cancel (hanging: it must do nothing).

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dtm-labs/client/dtmcli"
	"github.com/go-resty/resty/v2"
)

type barrierBusi struct {
	base string
	db   *sql.DB
	mu   sync.Mutex
	fail map[string]bool // gids whose SagaIn action fails inside the barrier
}

// account updates of each route: (user, balance delta, trading delta) per unit of amount
var barrierRoutes = map[string][3]int{
	"SagaOut": {1, -1, 0}, "SagaOutCompensate": {1, 1, 0}, "SagaIn": {2, 1, 0}, "SagaInCompensate": {2, -1, 0},
	"TccOutTry": {1, 0, 1}, "TccOutConfirm": {1, -1, -1}, "TccOutCancel": {1, 0, -1},
	"TccInTry": {2, 0, 1}, "TccInConfirm": {2, 1, -1}, "TccInCancel": {2, 0, -1},
}

func startBarrierBusi(t *testing.T) *barrierBusi {
	t.Helper()
	b := &barrierBusi{db: openPG(t), fail: map[string]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("barrier busi listen: %v", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(b.serve), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	b.base = fmt.Sprintf("http://%s/api/busi", ln.Addr())
	return b
}

func (b *barrierBusi) url(route string) string { return b.base + "/" + route }

func (b *barrierBusi) setFail(gid string, on bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.fail[gid] = on
}

func (b *barrierBusi) serve(w http.ResponseWriter, r *http.Request) {
	route := strings.TrimPrefix(r.URL.Path, "/api/busi/")
	w.Header().Set("Content-Type", "application/json")
	if route == "TccInTryLost" { // the try request is lost before it reaches the business
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, "connection reset")
		return
	}
	var req struct{ Amount int }
	body, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(body, &req)
	delta, known := barrierRoutes[route]
	bb, err := dtmcli.BarrierFromQuery(r.URL.Query())
	if !known || err != nil {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = fmt.Fprintf(w, "route %q: %v", route, err)
		return
	}
	bb.DBType = dtmcli.DBTypePostgres
	b.mu.Lock()
	failing := route == "SagaIn" && b.fail[bb.Gid]
	b.mu.Unlock()
	err = bb.CallWithDB(b.db, func(tx *sql.Tx) error {
		if failing {
			return fmt.Errorf("Insufficient balance: %w", dtmcli.ErrFailure)
		}
		_, err := tx.Exec(`update interop_account set balance = balance + $1, trading = trading + $2 where gid = $3 and user_id = $4`,
			delta[1]*req.Amount, delta[2]*req.Amount, bb.Gid, delta[0])
		return err
	})
	switch {
	case err == nil:
		_, _ = io.WriteString(w, `{"dtm_result":"SUCCESS"}`)
	case errors.Is(err, dtmcli.ErrFailure):
		w.WriteHeader(http.StatusConflict)
		_, _ = fmt.Fprintf(w, `{"dtm_result":"FAILURE","message":%q}`, err.Error())
	default:
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, err.Error())
	}
}

// inject sends a branch call as dtx would (the same query and body): a duplicate or a late request.
func (b *barrierBusi) inject(t *testing.T, route, transType, gid, branchID, op string) {
	t.Helper()
	q := url.Values{"gid": {gid}, "trans_type": {transType}, "branch_id": {branchID}, "op": {op}}
	resp, err := http.Post(b.url(route)+"?"+q.Encode(), "application/json", strings.NewReader(transReqJSON))
	if err != nil {
		t.Fatalf("injected %s: %v", route, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	// the barrier answers a duplicate or a late call with success and does nothing
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("injected %s %s/%s answered %d %s, want 200", route, branchID, op, resp.StatusCode, raw)
	}
}

func assertAccounts(t *testing.T, b *barrierBusi, gid string, want1, want2 account) {
	t.Helper()
	assertEqual(t, "account of user 1", accountOf(t, b.db, gid, 1), want1)
	assertEqual(t, "account of user 2", accountOf(t, b.db, gid, 2), want2)
}

func TestBarrierSagaPostgres(t *testing.T) {
	t.Parallel()
	b := startBarrierBusi(t)
	newSaga := func(gid string) *dtmcli.Saga {
		return dtmcli.NewSaga(dtxServer, gid).Add(b.url("SagaOut"), b.url("SagaOutCompensate"), transReq).Add(b.url("SagaIn"), b.url("SagaInCompensate"), transReq)
	}
	t.Run("a duplicated action changes nothing", func(t *testing.T) {
		gid := dtmcli.MustGenGid(dtxServer)
		seedAccounts(t, b.db, gid)
		if err := newSaga(gid).Submit(); err != nil {
			t.Fatalf("saga.Submit: %v", err)
		}
		waitStatus(t, gid, dtmcli.StatusSucceed, finalTimeout)
		assertAccounts(t, b, gid, account{70, 0}, account{130, 0})
		b.inject(t, "SagaIn", "saga", gid, "02", "action")
		b.inject(t, "SagaOut", "saga", gid, "01", "action")
		assertAccounts(t, b, gid, account{70, 0}, account{130, 0})
	})
	t.Run("an empty compensation and a late action after it change nothing", func(t *testing.T) {
		gid := dtmcli.MustGenGid(dtxServer)
		seedAccounts(t, b.db, gid)
		b.setFail(gid, true)
		if err := newSaga(gid).Submit(); err != nil {
			t.Fatalf("saga.Submit: %v", err)
		}
		q := waitStatus(t, gid, dtmcli.StatusFailed, finalTimeout)
		assertEqual(t, "branch rows", q.rows(), []string{"succeed", "succeed", "succeed", "failed"})
		// SagaIn's action rolled back with its barrier row, so its compensation was empty
		assertAccounts(t, b, gid, account{100, 0}, account{100, 0})
		b.setFail(gid, false)
		b.inject(t, "SagaIn", "saga", gid, "02", "action") // hanging: arrives after the compensation
		assertAccounts(t, b, gid, account{100, 0}, account{100, 0})
		assertEqual(t, "barrier rows of branch 02", filterPrefix(barrierOps(t, b.db, gid), "02 "), []string{"02 action compensate", "02 compensate compensate"})
	})
}

func TestBarrierTccPostgres(t *testing.T) {
	t.Parallel()
	b := startBarrierBusi(t)
	t.Run("duplicated try and confirm change nothing", func(t *testing.T) {
		gid := dtmcli.MustGenGid(dtxServer)
		seedAccounts(t, b.db, gid)
		err := dtmcli.TccGlobalTransaction(dtxServer, gid, func(tcc *dtmcli.Tcc) (*resty.Response, error) {
			if _, err := tcc.CallBranch(transReq, b.url("TccOutTry"), b.url("TccOutConfirm"), b.url("TccOutCancel")); err != nil {
				return nil, err
			}
			return tcc.CallBranch(transReq, b.url("TccInTry"), b.url("TccInConfirm"), b.url("TccInCancel"))
		})
		if err != nil {
			t.Fatalf("TccGlobalTransaction: %v", err)
		}
		waitStatus(t, gid, dtmcli.StatusSucceed, finalTimeout)
		assertAccounts(t, b, gid, account{70, 0}, account{130, 0})
		b.inject(t, "TccInConfirm", "tcc", gid, "02", "confirm")
		b.inject(t, "TccOutTry", "tcc", gid, "01", "try")
		assertAccounts(t, b, gid, account{70, 0}, account{130, 0})
	})
	t.Run("an empty cancel, a late try after it and a duplicated cancel change nothing", func(t *testing.T) {
		gid := dtmcli.MustGenGid(dtxServer)
		seedAccounts(t, b.db, gid)
		err := dtmcli.TccGlobalTransaction(dtxServer, gid, func(tcc *dtmcli.Tcc) (*resty.Response, error) {
			if _, err := tcc.CallBranch(transReq, b.url("TccOutTry"), b.url("TccOutConfirm"), b.url("TccOutCancel")); err != nil {
				return nil, err
			}
			// registered, but its try never reaches the business: the SDK aborts, dtx cancels it
			return tcc.CallBranch(transReq, b.url("TccInTryLost"), b.url("TccInConfirm"), b.url("TccInCancel"))
		})
		if err == nil {
			t.Fatalf("TccGlobalTransaction succeeded although a try failed")
		}
		q := waitStatus(t, gid, dtmcli.StatusFailed, finalTimeout)
		assertEqual(t, "branch rows", q.rows(), []string{"succeed", "prepared", "succeed", "prepared"})
		assertAccounts(t, b, gid, account{100, 0}, account{100, 0})
		b.inject(t, "TccInTry", "tcc", gid, "02", "try") // hanging: the lost try arrives after its cancel
		b.inject(t, "TccOutCancel", "tcc", gid, "01", "cancel")
		assertAccounts(t, b, gid, account{100, 0}, account{100, 0})
	})
}

func filterPrefix(list []string, prefix string) []string {
	out := []string{}
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			out = append(out, s)
		}
	}
	return out
}
