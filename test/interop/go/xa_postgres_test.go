package interop

// XA with the SDK's own resource-manager side, dtmcli.XaLocalTransaction, on a real PostgreSQL
// (PREPARE TRANSACTION / COMMIT PREPARED / ROLLBACK PREPARED; the cluster of
// scripts/postgres-local.sh allows prepared transactions): dtx's commit and rollback calls finish
// the prepared local transactions, and a repeated commit is harmless.

import (
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/dtm-labs/client/dtmcli"
	"github.com/go-resty/resty/v2"
)

type pgXaRM struct {
	base string
	conf dtmcli.DBConf
}

func startPgXaRM(t *testing.T) *pgXaRM {
	t.Helper()
	openPG(t) // tables
	rm := &pgXaRM{conf: pgConf(t)}
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

func (rm *pgXaRM) url(route string) string { return rm.base + "/" + route }

// serve: TransOut takes 30 from user 1, TransIn gives 30 to user 2 (or fails for a gid ending in "-fail").
func (rm *pgXaRM) serve(w http.ResponseWriter, r *http.Request) {
	route := strings.TrimPrefix(r.URL.Path, "/api/xa/")
	user, delta := 1, -30
	if route == "TransIn" {
		user, delta = 2, 30
	}
	err := dtmcli.XaLocalTransaction(r.URL.Query(), rm.conf, func(db *sql.DB, xa *dtmcli.Xa) error {
		if route == "TransIn" && strings.HasSuffix(xa.Gid, "-fail") {
			return fmt.Errorf("Insufficient balance: %w", dtmcli.ErrFailure)
		}
		_, err := db.Exec(`update interop_account set balance = balance + $1 where gid = $2 and user_id = $3`, delta, xa.Gid, user)
		return err
	})
	w.Header().Set("Content-Type", "application/json")
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

func TestXaPostgres(t *testing.T) {
	t.Parallel()
	rm := startPgXaRM(t)
	db := openPG(t)
	run := func(gid string) error {
		seedAccounts(t, db, gid)
		return dtmcli.XaGlobalTransaction(dtxServer, gid, func(xa *dtmcli.Xa) (*resty.Response, error) {
			if _, err := xa.CallBranch(transReq, rm.url("TransOut")); err != nil {
				return nil, err
			}
			return xa.CallBranch(transReq, rm.url("TransIn"))
		})
	}
	t.Run("commit, and a repeated commit changes nothing", func(t *testing.T) {
		gid := dtmcli.MustGenGid(dtxServer)
		if err := run(gid); err != nil {
			t.Fatalf("XaGlobalTransaction: %v", err)
		}
		waitStatus(t, gid, dtmcli.StatusSucceed, finalTimeout)
		assertEqual(t, "accounts", []account{accountOf(t, db, gid, 1), accountOf(t, db, gid, 2)}, []account{{70, 0}, {130, 0}})
		q := url.Values{"gid": {gid}, "trans_type": {"xa"}, "branch_id": {"02"}, "op": {"commit"}}
		resp, err := http.Post(rm.url("TransIn")+"?"+q.Encode(), "application/json", nil)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("repeated commit: %v %v", err, resp)
		}
		_ = resp.Body.Close()
		assertEqual(t, "accounts after a repeated commit", []account{accountOf(t, db, gid, 1), accountOf(t, db, gid, 2)}, []account{{70, 0}, {130, 0}})
	})
	t.Run("a failing local transaction rolls back the prepared one", func(t *testing.T) {
		gid := dtmcli.MustGenGid(dtxServer) + "-fail"
		if err := run(gid); err == nil {
			t.Fatalf("XaGlobalTransaction succeeded although TransIn failed")
		}
		q := waitStatus(t, gid, dtmcli.StatusFailed, finalTimeout)
		assertEqual(t, "branch rows", q.rows(), []string{"succeed", "prepared"})
		assertEqual(t, "accounts", []account{accountOf(t, db, gid, 1), accountOf(t, db, gid, 2)}, []account{{100, 0}, {100, 0}})
		var open int
		if err := db.QueryRow(`select count(*) from pg_prepared_xacts where gid like $1`, gid+"%").Scan(&open); err != nil || open != 0 {
			t.Fatalf("prepared transactions left for %s: %d (%v)", gid, open, err)
		}
	})
}
