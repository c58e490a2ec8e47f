package interop

// The SDK's JSON-RPC protocol: dtmcli transactions with Protocol "json-rpc" talk to dtx's
// `POST /api/json-rpc` (spec §4), and dtx calls branch URLs that name a `method` as JSON-RPC
// (spec §6.3) on the branch service of jrpc_busi_test.go.

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dtm-labs/client/dtmcli"
	"github.com/dtm-labs/client/dtmcli/dtmimp"
)

// dtxJrpc is dtx's JSON-RPC endpoint next to DTX_SERVER: http://HOST:PORT/api/json-rpc.
func dtxJrpc() string { return strings.TrimSuffix(dtxServer, "/dtmsvr") + "/json-rpc" }

// jrpcPayload is transReq as the branch service decodes it from params.
var jrpcPayload = map[string]interface{}{"amount": float64(30)}

// jrpcGenGid calls newGid over JSON-RPC as dtm's own tests do (the SDK has no MustGenGid for it).
func jrpcGenGid(t *testing.T) string {
	t.Helper()
	tb := dtmimp.NewTransBase("", "", dtxJrpc(), "")
	tb.Protocol = dtmimp.Jrpc
	resp, err := dtmimp.TransCallDtmExt(tb, "", "newGid")
	if err != nil {
		t.Fatalf("newGid over JSON-RPC: %v", err)
	}
	var answer struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      string          `json:"id"`
		Error   json.RawMessage `json:"error"`
		Result  struct {
			Gid string `json:"gid"`
		} `json:"result"`
	}
	if err := json.Unmarshal(resp.Body(), &answer); err != nil || answer.JSONRPC != "2.0" || answer.ID != "no-use" {
		t.Fatalf("newGid over JSON-RPC answered %s (%v), want a 2.0 answer with the request id", resp.Body(), err)
	}
	if len(answer.Result.Gid) != 22 {
		t.Fatalf("newGid over JSON-RPC answered gid %q, want a 22-character shortuuid", answer.Result.Gid)
	}
	return answer.Result.Gid
}

func TestJrpcNewGid(t *testing.T) {
	t.Parallel()
	if a, b := jrpcGenGid(t), jrpcGenGid(t); a == b {
		t.Fatalf("two newGid calls over JSON-RPC returned the same gid %q", a)
	}
}

func newJrpcSaga(b *jrpcBusi, gid string) *dtmcli.Saga {
	saga := dtmcli.NewSaga(dtxJrpc(), gid).
		Add(b.url("TransOut"), b.url("TransOutCompensate"), transReq).
		Add(b.url("TransIn"), b.url("TransInCompensate"), transReq)
	saga.Protocol = dtmimp.Jrpc
	return saga
}

func TestJrpcSagaNormal(t *testing.T) {
	t.Parallel()
	b := startJrpcBusi(t)
	gid := jrpcGenGid(t)
	saga := newJrpcSaga(b, gid)
	saga.BranchHeaders = map[string]string{"X-Request-Id": "req-7f3a"}
	if err := saga.Submit(); err != nil {
		t.Fatalf("saga.Submit over JSON-RPC: %v", err)
	}
	q := waitStatus(t, gid, dtmcli.StatusSucceed, finalTimeout)
	assertEqual(t, "protocol", q.Transaction.Protocol, dtmimp.Jrpc)
	assertEqual(t, "branch rows", q.rows(), []string{"prepared", "succeed", "prepared", "succeed"})
	assertEqual(t, "branch calls", b.methods(), []string{"TransOut action", "TransIn action"})
	assertJrpcBranchCall(t, b.callsTo("TransOut")[0], jrpcPayload, gid, "saga", "01", "action")
	assertJrpcBranchCall(t, b.callsTo("TransIn")[0], jrpcPayload, gid, "saga", "02", "action")
	for _, c := range b.recorded() {
		// the same headers as an HTTP branch call (spec §6.3): JSON content type, branch_headers
		assertEqual(t, c.Method+" Content-Type", c.Header.Get("Content-Type"), "application/json")
		assertEqual(t, c.Method+" X-Request-Id", c.Header.Get("X-Request-Id"), "req-7f3a")
	}
}

func TestJrpcSagaRollback(t *testing.T) {
	t.Parallel()
	t.Run("asynchronous", func(t *testing.T) {
		t.Parallel()
		b := startJrpcBusi(t).fail("TransIn", jrpcCodeFailure, "Insufficient balance")
		gid := jrpcGenGid(t)
		if err := newJrpcSaga(b, gid).Submit(); err != nil {
			t.Fatalf("saga.Submit over JSON-RPC: %v", err)
		}
		q := waitStatus(t, gid, dtmcli.StatusFailed, finalTimeout)
		assertEqual(t, "branch rows", q.rows(), []string{"succeed", "succeed", "succeed", "failed"})
		assertEqual(t, "branch calls", b.methods(), []string{"TransOut action", "TransIn action", "TransInCompensate compensate", "TransOutCompensate compensate"})
		assertJrpcBranchCall(t, b.callsTo("TransInCompensate")[0], jrpcPayload, gid, "saga", "02", "compensate")
		assertJrpcBranchCall(t, b.callsTo("TransOutCompensate")[0], jrpcPayload, gid, "saga", "01", "compensate")
		if !strings.Contains(q.Transaction.RollbackReason, "Insufficient balance") {
			t.Fatalf("rollback_reason %q does not carry the branch's error", q.Transaction.RollbackReason)
		}
	})
	t.Run("wait_result", func(t *testing.T) {
		t.Parallel()
		b := startJrpcBusi(t).fail("TransIn", jrpcCodeFailure, "Insufficient balance")
		gid := jrpcGenGid(t)
		saga := newJrpcSaga(b, gid)
		saga.WaitResult = true
		err := saga.Submit()
		// the SDK returns dtx's JSON-RPC answer as the error text: FAILURE is code -32901
		if err == nil || !strings.Contains(err.Error(), fmt.Sprint(jrpcCodeFailure)) || !strings.Contains(err.Error(), "Insufficient balance") {
			t.Fatalf("saga.Submit over JSON-RPC with WaitResult = %v, want a -32901 error carrying the branch message", err)
		}
		q := queryTrans(t, gid)
		assertEqual(t, "status right after Submit returned", q.status(), dtmcli.StatusFailed)
		assertEqual(t, "branch rows", q.rows(), []string{"succeed", "succeed", "succeed", "failed"})
	})
	t.Run("ONGOING is retried, not rolled back", func(t *testing.T) {
		t.Parallel()
		b := startJrpcBusi(t).fail("TransIn", jrpcCodeOngoing, "not yet")
		gid := jrpcGenGid(t)
		saga := newJrpcSaga(b, gid)
		saga.RetryInterval = 1
		if err := saga.Submit(); err != nil {
			t.Fatalf("saga.Submit over JSON-RPC: %v", err)
		}
		waitCalls(t, func() int { return len(b.callsTo("TransIn")) }, 2)
		q := queryTrans(t, gid)
		assertEqual(t, "status while TransIn answers -32902", q.status(), dtmcli.StatusSubmitted)
		assertEqual(t, "branch rows", q.rows(), []string{"prepared", "succeed", "prepared", "prepared"})
		b.succeed("TransIn")
		waitStatus(t, gid, dtmcli.StatusSucceed, finalTimeout)
		if compensations := len(b.callsTo("TransInCompensate")) + len(b.callsTo("TransOutCompensate")); compensations != 0 {
			t.Fatalf("an ONGOING saga was compensated: %v", b.methods())
		}
	})
}

func newJrpcMsg(h *busi, b *jrpcBusi, gid string) *dtmcli.Msg {
	msg := dtmcli.NewMsg(dtxJrpc(), gid).
		Add(h.url("TransOut"), transReq). // a plain HTTP branch in a json-rpc transaction
		Add(b.url("TransIn"), transReq)
	msg.Protocol = dtmimp.Jrpc
	return msg
}

func TestJrpcMsgDoAndSubmit(t *testing.T) {
	t.Parallel()
	t.Run("success", func(t *testing.T) {
		t.Parallel()
		h, b := startBusi(t), startJrpcBusi(t)
		gid := jrpcGenGid(t)
		err := newJrpcMsg(h, b, gid).DoAndSubmit(h.url("QueryPrepared"), func(bb *dtmcli.BranchBarrier) error {
			if s := queryTrans(t, gid).status(); s != dtmcli.StatusPrepared {
				return fmt.Errorf("status during the local business is %q, want prepared", s)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("msg.DoAndSubmit over JSON-RPC: %v", err)
		}
		q := waitStatus(t, gid, dtmcli.StatusSucceed, finalTimeout)
		assertEqual(t, "protocol", q.Transaction.Protocol, dtmimp.Jrpc)
		assertEqual(t, "branch rows", q.rows(), []string{"succeed", "succeed"})
		assertEqual(t, "HTTP branch calls", h.routes(), []string{"TransOut"})
		assertBranchCall(t, h.callsTo("TransOut")[0], gid, "msg", "01", "action", http.MethodPost, transReqJSON)
		assertEqual(t, "JSON-RPC branch calls", b.methods(), []string{"TransIn action"})
		assertJrpcBranchCall(t, b.callsTo("TransIn")[0], jrpcPayload, gid, "msg", "02", "action")
	})
	t.Run("business returns ErrFailure", func(t *testing.T) {
		t.Parallel()
		h, b := startBusi(t), startJrpcBusi(t)
		gid := jrpcGenGid(t)
		busiErr := fmt.Errorf("Insufficient balance %w", dtmcli.ErrFailure)
		err := newJrpcMsg(h, b, gid).DoAndSubmit(h.url("QueryPrepared"), func(*dtmcli.BranchBarrier) error { return busiErr })
		if !errors.Is(err, busiErr) {
			t.Fatalf("msg.DoAndSubmit returned %v, want the business error %v", err, busiErr)
		}
		// the SDK sent abort over JSON-RPC
		assertEqual(t, "status right after DoAndSubmit returned", queryTrans(t, gid).status(), dtmcli.StatusFailed)
		assertEqual(t, "branch calls", append(h.routes(), b.methods()...), []string{})
	})
	t.Run("submit after succeed", func(t *testing.T) {
		t.Parallel()
		h, b := startBusi(t), startJrpcBusi(t)
		gid := jrpcGenGid(t)
		msg := newJrpcMsg(h, b, gid)
		msg.WaitResult = true
		if err := msg.DoAndSubmit(h.url("QueryPrepared"), func(*dtmcli.BranchBarrier) error { return nil }); err != nil {
			t.Fatalf("msg.DoAndSubmit over JSON-RPC with WaitResult: %v", err)
		}
		assertEqual(t, "status right after DoAndSubmit returned", queryTrans(t, gid).status(), dtmcli.StatusSucceed)
		err := msg.Submit()
		if err == nil || !strings.Contains(err.Error(), fmt.Sprint(jrpcCodeFailure)) || !strings.Contains(err.Error(), "current status 'succeed', cannot sumbmit") {
			t.Fatalf("second msg.Submit over JSON-RPC = %v, want a -32901 error naming the status", err)
		}
	})
}

// A prepared msg whose query-back is a JSON-RPC method: dtx asks it after timeout_to_fail.
func TestJrpcMsgQueryBack(t *testing.T) {
	t.Parallel()
	prepare := func(t *testing.T, b *jrpcBusi) (string, time.Time) {
		t.Helper()
		gid := jrpcGenGid(t)
		msg := dtmcli.NewMsg(dtxJrpc(), gid).Add(b.url("TransIn"), transReq)
		msg.Protocol = dtmimp.Jrpc
		msg.TimeoutToFail = 1
		before := time.Now()
		if err := msg.Prepare(b.url("QueryPrepared")); err != nil {
			t.Fatalf("msg.Prepare over JSON-RPC: %v", err)
		}
		assertEqual(t, "status after Prepare", queryTrans(t, gid).status(), dtmcli.StatusPrepared)
		return gid, before
	}
	t.Run("SUCCESS", func(t *testing.T) {
		t.Parallel()
		b := startJrpcBusi(t)
		gid, before := prepare(t, b)
		q := waitStatus(t, gid, dtmcli.StatusSucceed, finalTimeout)
		assertEqual(t, "branch rows", q.rows(), []string{"succeed"})
		assertEqual(t, "branch calls", b.methods(), []string{"QueryPrepared msg", "TransIn action"})
		qp := b.callsTo("QueryPrepared")[0]
		assertJrpcBranchCall(t, qp, nil, gid, "msg", "00", "msg") // no payload: only the coordinates
		if early := qp.At.Sub(before); early < 900*time.Millisecond {
			t.Fatalf("query-back came %s after Prepare, before timeout_to_fail (1 s)", early)
		}
	})
	t.Run("FAILURE", func(t *testing.T) {
		t.Parallel()
		b := startJrpcBusi(t).fail("QueryPrepared", jrpcCodeFailure, "order 42 was rolled back")
		gid, _ := prepare(t, b)
		q := waitStatus(t, gid, dtmcli.StatusFailed, finalTimeout)
		assertEqual(t, "branch rows", q.rows(), []string{"prepared"})
		assertEqual(t, "branch calls (no action)", b.methods(), []string{"QueryPrepared msg"})
	})
}

// waitCalls polls a call counter until it reaches n.
func waitCalls(t *testing.T, count func() int, n int) {
	t.Helper()
	deadline := time.Now().Add(finalTimeout)
	for count() < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d calls within %s, want %d", count(), finalTimeout, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
