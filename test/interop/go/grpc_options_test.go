package interop

// dtmgrpc's TransOptions as dtx honours them (spec §7.3.2, §8.3, §8.6, §8.7, §6.4):
// TimeoutToFail, RetryInterval, RequestTimeout and BranchHeaders. (WaitResult: grpc_interop_test.go
// and grpc_msg_test.go.)

import (
	"testing"
	"time"

	"github.com/dtm-labs/client/dtmcli"
	"github.com/dtm-labs/client/dtmgrpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

var errOngoing = status.Error(codes.FailedPrecondition, "ONGOING")

// A saga whose second step stays ONGOING is aborted once timeout_to_fail passed: the step that may
// have run is compensated too, in reverse order.
func TestGrpcOptionTimeoutToFail(t *testing.T) {
	t.Parallel()
	b := startGrpcBusi(t).on("TransIn", errOngoing)
	gid := dtmgrpc.MustGenGid(dtxGrpc(t))
	saga := newGrpcTransferSaga(t, b, gid)
	saga.TimeoutToFail = 2
	saga.RetryInterval = 1
	submitted := time.Now()
	if err := saga.Submit(); err != nil {
		t.Fatalf("SagaGrpc.Submit: %v", err)
	}
	q := waitStatus(t, gid, dtmcli.StatusFailed, finalTimeout)
	assertEqual(t, "rollback_reason", q.Transaction.RollbackReason, "Timeout after 2 seconds")
	assertEqual(t, "branch rows", q.rows(), []string{"succeed", "succeed", "succeed", "prepared"})
	calls := methodsOf(b.recorded())
	n := len(calls)
	if n < 4 || calls[n-2] != "/busi.Busi/TransInRevert compensate" || calls[n-1] != "/busi.Busi/TransOutRevert compensate" {
		t.Fatalf("branch calls %v, want TransOut, TransIn retried, then TransInRevert and TransOutRevert", calls)
	}
	if revertAt := b.callsTo("TransInRevert")[0].At; revertAt.Sub(submitted) < 1900*time.Millisecond {
		t.Fatalf("compensation started %s after Submit, before timeout_to_fail (2 s)", revertAt.Sub(submitted))
	}
}

// retry_interval sets the pace of the retries of an ONGOING branch (dtx's default is 10 s).
func TestGrpcOptionRetryInterval(t *testing.T) {
	t.Parallel()
	b := startGrpcBusi(t).script("TransIn", func(nth int) grpcAnswer {
		if nth <= 2 {
			return grpcAnswer{err: errOngoing}
		}
		return grpcAnswer{}
	})
	gid := dtmgrpc.MustGenGid(dtxGrpc(t))
	saga := newGrpcTransferSaga(t, b, gid)
	saga.RetryInterval = 1
	if err := saga.Submit(); err != nil {
		t.Fatalf("SagaGrpc.Submit: %v", err)
	}
	q := waitStatus(t, gid, dtmcli.StatusSucceed, finalTimeout)
	assertEqual(t, "branch rows", q.rows(), []string{"prepared", "succeed", "prepared", "succeed"})
	ins := b.callsTo("TransIn")
	assertEqual(t, "TransIn calls", len(ins), 3)
	for i := 1; i < len(ins); i++ {
		if gap := ins[i].At.Sub(ins[i-1].At); gap < 900*time.Millisecond || gap > 6*time.Second {
			t.Fatalf("TransIn retry %d came %s after the previous call, want about retry_interval (1 s)", i, gap)
		}
	}
	assertEqual(t, "TransOut calls (a succeeded step is not re-run)", len(b.callsTo("TransOut")), 1)
}

// request_timeout is the deadline of every branch call, longer or shorter than RequestTimeout (3 s).
func TestGrpcOptionRequestTimeout(t *testing.T) {
	t.Parallel()
	t.Run("longer than the default", func(t *testing.T) {
		t.Parallel()
		b := startGrpcBusi(t).script("TransOut", func(int) grpcAnswer { return grpcAnswer{delay: 3500 * time.Millisecond} })
		gid := dtmgrpc.MustGenGid(dtxGrpc(t))
		saga := newGrpcTransferSaga(t, b, gid)
		saga.WithGlobalTransRequestTimeout(6)
		saga.WaitResult = true
		if err := saga.Submit(); err != nil {
			t.Fatalf("SagaGrpc.Submit with RequestTimeout 6 and a 3.5 s branch: %v", err)
		}
		assertEqual(t, "status right after Submit returned", queryTrans(t, gid).status(), dtmcli.StatusSucceed)
		assertEqual(t, "branch calls (the slow one once)", methodsOf(b.recorded()), []string{"/busi.Busi/TransOut action", "/busi.Busi/TransIn action"})
		for _, c := range b.recorded() {
			assertDeadline(t, c, 6*time.Second)
		}
	})
	t.Run("shorter than the default", func(t *testing.T) {
		t.Parallel()
		b := startGrpcBusi(t).script("TransOut", func(nth int) grpcAnswer {
			if nth == 1 {
				return grpcAnswer{delay: 2 * time.Second} // dtx gives up after 1 s and retries
			}
			return grpcAnswer{}
		})
		gid := dtmgrpc.MustGenGid(dtxGrpc(t))
		saga := newGrpcTransferSaga(t, b, gid)
		saga.WithGlobalTransRequestTimeout(1)
		saga.RetryInterval = 1
		if err := saga.Submit(); err != nil {
			t.Fatalf("SagaGrpc.Submit: %v", err)
		}
		waitStatus(t, gid, dtmcli.StatusSucceed, finalTimeout)
		assertEqual(t, "branch calls", methodsOf(b.recorded()), []string{"/busi.Busi/TransOut action", "/busi.Busi/TransOut action", "/busi.Busi/TransIn action"})
		for _, c := range b.recorded() {
			assertDeadline(t, c, time.Second)
		}
	})
}

// branch_headers reach every gRPC branch call as metadata: actions, compensations, retries by the
// scheduler, and msg actions.
func TestGrpcOptionBranchHeaders(t *testing.T) {
	t.Parallel()
	headers := map[string]string{"x-request-id": "req-7f3a", "x-tenant": "blue"}
	assertHeaders := func(t *testing.T, calls []grpcCall) {
		t.Helper()
		for _, c := range calls {
			for k, v := range headers {
				if got := c.Metadata.Get(k); len(got) != 1 || got[0] != v {
					t.Fatalf("%s %s: metadata %s = %v, want [%s]", c.Method, c.md("dtm-op"), k, got, v)
				}
			}
		}
	}
	t.Run("saga rollback with a retried step", func(t *testing.T) {
		t.Parallel()
		b := startGrpcBusi(t).script("TransIn", func(nth int) grpcAnswer {
			if nth == 1 {
				return grpcAnswer{err: errOngoing}
			}
			return grpcAnswer{err: status.Error(codes.Aborted, "Insufficient balance")}
		})
		gid := dtmgrpc.MustGenGid(dtxGrpc(t))
		saga := newGrpcTransferSaga(t, b, gid, dtmgrpc.WithBranchHeaders(headers))
		saga.RetryInterval = 1
		if err := saga.Submit(); err != nil {
			t.Fatalf("SagaGrpc.Submit: %v", err)
		}
		waitStatus(t, gid, dtmcli.StatusFailed, finalTimeout)
		calls := b.recorded()
		assertEqual(t, "branch calls", methodsOf(calls), []string{
			"/busi.Busi/TransOut action", "/busi.Busi/TransIn action", "/busi.Busi/TransIn action",
			"/busi.Busi/TransInRevert compensate", "/busi.Busi/TransOutRevert compensate",
		})
		assertHeaders(t, calls)
	})
	t.Run("msg", func(t *testing.T) {
		t.Parallel()
		b := startGrpcBusi(t)
		gid := dtmgrpc.MustGenGid(dtxGrpc(t))
		msg := dtmgrpc.NewMsgGrpc(dtxGrpc(t), gid, dtmgrpc.WithBranchHeaders(headers)).Add(b.url("TransIn"), grpcReq)
		msg.WaitResult = true
		if err := msg.Prepare(b.url("QueryPrepared")); err != nil {
			t.Fatalf("MsgGrpc.Prepare: %v", err)
		}
		if err := msg.Submit(); err != nil {
			t.Fatalf("MsgGrpc.Submit: %v", err)
		}
		assertEqual(t, "branch calls", methodsOf(b.recorded()), []string{"/busi.Busi/TransIn action"})
		assertHeaders(t, b.recorded())
	})
}
