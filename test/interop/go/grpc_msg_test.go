package interop

// Two-phase messages through dtmgrpc: prepare + submit, the SDK's DoAndSubmit flow (its own
// query-back over gRPC, abort), dtx's query-back of a prepared msg after timeout_to_fail, and
// wait_result.

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dtm-labs/client/dtmcli"
	"github.com/dtm-labs/client/dtmgrpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

func newGrpcMsg(t *testing.T, b *grpcBusi, gid string) *dtmgrpc.MsgGrpc {
	return dtmgrpc.NewMsgGrpc(dtxGrpc(t), gid).Add(b.url("TransIn"), grpcReq)
}

var errAborted = status.Error(codes.Aborted, "FAILURE")

func TestGrpcMsgPrepareSubmit(t *testing.T) {
	t.Parallel()
	b := startGrpcBusi(t)
	gid := dtmgrpc.MustGenGid(dtxGrpc(t))
	msg := newGrpcMsg(t, b, gid)
	if err := msg.Prepare(b.url("QueryPrepared")); err != nil {
		t.Fatalf("MsgGrpc.Prepare: %v", err)
	}
	q := queryTrans(t, gid)
	assertEqual(t, "status after Prepare", q.status(), dtmcli.StatusPrepared)
	assertEqual(t, "query_prepared stored", q.Transaction.QueryPrepared, b.url("QueryPrepared"))
	if err := msg.Prepare(b.url("QueryPrepared")); err != nil {
		t.Fatalf("a repeated MsgGrpc.Prepare of the same msg: %v, want OK (spec §15.3 TestMsgAbnormal)", err)
	}
	if err := msg.Submit(); err != nil {
		t.Fatalf("MsgGrpc.Submit: %v", err)
	}
	q = waitStatus(t, gid, dtmcli.StatusSucceed, finalTimeout)
	assertEqual(t, "branch rows", q.rows(), []string{"succeed"})
	assertEqual(t, "branch calls", methodsOf(b.recorded()), []string{"/busi.Busi/TransIn action"})
	in := b.callsTo("TransIn")[0]
	assertGrpcBranchCall(t, in, gid, "msg", "01", "action")
	want, _ := proto.Marshal(grpcReq)
	assertEqual(t, "payload bytes", in.Payload, want)
	// a second Submit after succeed is dtm's FAILURE: Aborted with dtm's text
	err := msg.Submit()
	if status.Code(err) != codes.Aborted || status.Convert(err).Message() != "current status 'succeed', cannot sumbmit. FAILURE" {
		t.Fatalf("second MsgGrpc.Submit = %v, want Aborted \"current status 'succeed', cannot sumbmit. FAILURE\"", err)
	}
	if err := msg.Prepare(b.url("QueryPrepared")); status.Code(err) != codes.Aborted {
		t.Fatalf("MsgGrpc.Prepare after succeed = %v, want Aborted (FAILURE)", err)
	}
}

func TestGrpcMsgDoAndSubmit(t *testing.T) {
	t.Parallel()
	t.Run("success", func(t *testing.T) {
		t.Parallel()
		b := startGrpcBusi(t)
		gid := dtmgrpc.MustGenGid(dtxGrpc(t))
		var seen *dtmcli.BranchBarrier
		err := newGrpcMsg(t, b, gid).DoAndSubmit(b.url("QueryPrepared"), func(bb *dtmcli.BranchBarrier) error {
			seen = bb
			if s := queryTrans(t, gid).status(); s != dtmcli.StatusPrepared {
				return fmt.Errorf("status during the local business is %q, want prepared", s)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("MsgGrpc.DoAndSubmit: %v", err)
		}
		if seen == nil || seen.Gid != gid || seen.TransType != "msg" || seen.BranchID != "00" || seen.Op != "msg" {
			t.Fatalf("barrier passed to the business func: %+v", seen)
		}
		q := waitStatus(t, gid, dtmcli.StatusSucceed, finalTimeout)
		assertEqual(t, "branch rows", q.rows(), []string{"succeed"})
		assertEqual(t, "branch calls (no query-back)", methodsOf(b.recorded()), []string{"/busi.Busi/TransIn action"})
	})
	t.Run("business returns ErrFailure", func(t *testing.T) {
		t.Parallel()
		b := startGrpcBusi(t)
		gid := dtmgrpc.MustGenGid(dtxGrpc(t))
		busiErr := fmt.Errorf("Insufficient balance %w", dtmcli.ErrFailure)
		err := newGrpcMsg(t, b, gid).DoAndSubmit(b.url("QueryPrepared"), func(*dtmcli.BranchBarrier) error { return busiErr })
		if !errors.Is(err, busiErr) {
			t.Fatalf("MsgGrpc.DoAndSubmit returned %v, want the business error %v", err, busiErr)
		}
		// the SDK called Abort synchronously: a prepared msg goes straight to failed (spec §5.6)
		q := queryTrans(t, gid)
		assertEqual(t, "status right after DoAndSubmit returned", q.status(), dtmcli.StatusFailed)
		assertEqual(t, "branch rows", q.rows(), []string{"prepared"})
		assertEqual(t, "branch calls", methodsOf(b.recorded()), []string{})
	})
	t.Run("business error and query-back FAILURE", func(t *testing.T) {
		t.Parallel()
		b := startGrpcBusi(t).on("QueryPrepared", errAborted)
		gid := dtmgrpc.MustGenGid(dtxGrpc(t))
		busiErr := errors.New("connection to local db lost")
		err := newGrpcMsg(t, b, gid).DoAndSubmit(b.url("QueryPrepared"), func(*dtmcli.BranchBarrier) error { return busiErr })
		if !errors.Is(err, busiErr) {
			t.Fatalf("MsgGrpc.DoAndSubmit returned %v, want the business error %v", err, busiErr)
		}
		assertEqual(t, "status right after DoAndSubmit returned", queryTrans(t, gid).status(), dtmcli.StatusFailed)
		// only the SDK's own query-back (it names dtx in dtm-dtm), never the action
		assertEqual(t, "branch calls", methodsOf(b.recorded()), []string{"/busi.Busi/QueryPrepared msg"})
		qp := b.callsTo("QueryPrepared")[0]
		assertGrpcBranchCall(t, qp, gid, "msg", "00", "msg")
		assertEqual(t, "SDK query-back dtm-dtm", qp.md("dtm-dtm"), dtxGrpc(t))
	})
	t.Run("business error and query-back SUCCESS", func(t *testing.T) {
		t.Parallel()
		b := startGrpcBusi(t) // the local transaction did commit: the SDK submits after all
		gid := dtmgrpc.MustGenGid(dtxGrpc(t))
		busiErr := errors.New("commit acknowledgement lost")
		err := newGrpcMsg(t, b, gid).DoAndSubmit(b.url("QueryPrepared"), func(*dtmcli.BranchBarrier) error { return busiErr })
		if !errors.Is(err, busiErr) {
			t.Fatalf("MsgGrpc.DoAndSubmit returned %v, want the business error %v", err, busiErr)
		}
		waitStatus(t, gid, dtmcli.StatusSucceed, finalTimeout)
		assertEqual(t, "branch calls", methodsOf(b.recorded()), []string{"/busi.Busi/QueryPrepared msg", "/busi.Busi/TransIn action"})
	})
}

// A prepared msg that is never submitted: after timeout_to_fail dtx asks the query-back method.
func TestGrpcMsgQueryBack(t *testing.T) {
	t.Parallel()
	t.Run("SUCCESS", func(t *testing.T) {
		t.Parallel()
		b := startGrpcBusi(t)
		gid := dtmgrpc.MustGenGid(dtxGrpc(t))
		msg := newGrpcMsg(t, b, gid)
		msg.TimeoutToFail = 1
		before := time.Now()
		if err := msg.Prepare(b.url("QueryPrepared")); err != nil {
			t.Fatalf("MsgGrpc.Prepare: %v", err)
		}
		q := waitStatus(t, gid, dtmcli.StatusSucceed, finalTimeout)
		assertEqual(t, "branch rows", q.rows(), []string{"succeed"})
		assertEqual(t, "branch calls", methodsOf(b.recorded()), []string{"/busi.Busi/QueryPrepared msg", "/busi.Busi/TransIn action"})
		qp := b.callsTo("QueryPrepared")[0]
		assertGrpcBranchCall(t, qp, gid, "msg", "00", "msg")
		assertEqual(t, "query-back payload", len(qp.Payload), 0)
		if early := qp.At.Sub(before); early < 900*time.Millisecond {
			t.Fatalf("query-back came %s after Prepare, before timeout_to_fail (1 s)", early)
		}
	})
	t.Run("ONGOING, then SUCCESS", func(t *testing.T) {
		t.Parallel()
		b := startGrpcBusi(t).script("QueryPrepared", func(nth int) grpcAnswer {
			if nth == 1 {
				return grpcAnswer{err: status.Error(codes.FailedPrecondition, "local transaction still running")}
			}
			return grpcAnswer{}
		})
		gid := dtmgrpc.MustGenGid(dtxGrpc(t))
		msg := newGrpcMsg(t, b, gid)
		msg.TimeoutToFail = 1
		if err := msg.Prepare(b.url("QueryPrepared")); err != nil {
			t.Fatalf("MsgGrpc.Prepare: %v", err)
		}
		waitStatus(t, gid, dtmcli.StatusSucceed, finalTimeout)
		assertEqual(t, "branch calls", methodsOf(b.recorded()), []string{
			"/busi.Busi/QueryPrepared msg", "/busi.Busi/QueryPrepared msg", "/busi.Busi/TransIn action",
		})
		qps := b.callsTo("QueryPrepared")
		if gap := qps[1].At.Sub(qps[0].At); gap < 900*time.Millisecond {
			t.Fatalf("the query-back was repeated %s after ONGOING, want about timeout_to_fail (1 s)", gap)
		}
	})
	t.Run("FAILURE", func(t *testing.T) {
		t.Parallel()
		b := startGrpcBusi(t).on("QueryPrepared", errAborted)
		gid := dtmgrpc.MustGenGid(dtxGrpc(t))
		msg := newGrpcMsg(t, b, gid)
		msg.TimeoutToFail = 1
		if err := msg.Prepare(b.url("QueryPrepared")); err != nil {
			t.Fatalf("MsgGrpc.Prepare: %v", err)
		}
		q := waitStatus(t, gid, dtmcli.StatusFailed, finalTimeout)
		assertEqual(t, "branch rows", q.rows(), []string{"prepared"})
		assertEqual(t, "branch calls (no action)", methodsOf(b.recorded()), []string{"/busi.Busi/QueryPrepared msg"})
		// a failed msg cannot be submitted any more
		if err := msg.Submit(); status.Code(err) != codes.Aborted || !strings.Contains(err.Error(), "failed") {
			t.Fatalf("MsgGrpc.Submit of a failed msg = %v, want Aborted naming the status", err)
		}
	})
}

func TestGrpcMsgWaitResult(t *testing.T) {
	t.Parallel()
	t.Run("success", func(t *testing.T) {
		t.Parallel()
		b := startGrpcBusi(t)
		gid := dtmgrpc.MustGenGid(dtxGrpc(t))
		msg := newGrpcMsg(t, b, gid)
		msg.WaitResult = true
		if err := msg.Prepare(b.url("QueryPrepared")); err != nil {
			t.Fatalf("MsgGrpc.Prepare: %v", err)
		}
		if err := msg.Submit(); err != nil {
			t.Fatalf("MsgGrpc.Submit with WaitResult: %v", err)
		}
		q := queryTrans(t, gid) // no polling: the action already ran
		assertEqual(t, "status right after Submit returned", q.status(), dtmcli.StatusSucceed)
		assertEqual(t, "branch rows", q.rows(), []string{"succeed"})
	})
	t.Run("action error, then retried", func(t *testing.T) {
		t.Parallel()
		b := startGrpcBusi(t).script("TransIn", func(nth int) grpcAnswer {
			if nth == 1 {
				return grpcAnswer{err: status.Error(codes.Unavailable, "stock service restarting")}
			}
			return grpcAnswer{}
		})
		gid := dtmgrpc.MustGenGid(dtxGrpc(t))
		msg := newGrpcMsg(t, b, gid)
		msg.WaitResult = true
		msg.RetryInterval = 1
		if err := msg.Prepare(b.url("QueryPrepared")); err != nil {
			t.Fatalf("MsgGrpc.Prepare: %v", err)
		}
		// the pass's error comes back (a plain error, not FAILURE: the msg is retried, never rolled back)
		err := msg.Submit()
		if err == nil || status.Code(err) == codes.Aborted || !strings.Contains(err.Error(), "stock service restarting") {
			t.Fatalf("MsgGrpc.Submit with WaitResult and a failing action = %v, want a non-FAILURE error carrying the branch message", err)
		}
		assertEqual(t, "status right after Submit returned", queryTrans(t, gid).status(), dtmcli.StatusSubmitted)
		waitStatus(t, gid, dtmcli.StatusSucceed, finalTimeout)
		assertEqual(t, "branch calls", methodsOf(b.recorded()), []string{"/busi.Busi/TransIn action", "/busi.Busi/TransIn action"})
	})
}
