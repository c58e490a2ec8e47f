package interop

// The dtm Go SDK's gRPC client (dtmgrpc) against dtx's gRPC ingress (DTX_GRPC=host:port), with a
// real grpc-go branch service on loopback (grpc_busi_test.go). The SDK's requests are exactly what a
// dtm application sends: protobuf payloads, Steps as JSON text, TransOptions, and dtm's status codes
// back. This file: newGid and saga (tcc_test.go: tcc).

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dtm-labs/client/dtmcli"
	"github.com/dtm-labs/client/dtmgrpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

func TestGrpcMustGenGid(t *testing.T) {
	t.Parallel()
	a, b := dtmgrpc.MustGenGid(dtxGrpc(t)), dtmgrpc.MustGenGid(dtxGrpc(t))
	if len(a) != 22 || len(b) != 22 || a == b {
		t.Fatalf("dtmgrpc.MustGenGid = %q, %q; want two different 22-character shortuuids", a, b)
	}
}

func newGrpcTransferSaga(t *testing.T, b *grpcBusi, gid string, opts ...dtmgrpc.TransBaseOption) *dtmgrpc.SagaGrpc {
	return dtmgrpc.NewSagaGrpc(dtxGrpc(t), gid, opts...).
		Add(b.url("TransOut"), b.url("TransOutRevert"), grpcReq).
		Add(b.url("TransIn"), b.url("TransInRevert"), grpcReq)
}

var grpcRollbackCalls = []string{
	"/busi.Busi/TransOut action", "/busi.Busi/TransIn action", "/busi.Busi/TransInRevert compensate", "/busi.Busi/TransOutRevert compensate",
}

func TestGrpcSagaNormal(t *testing.T) {
	t.Parallel()
	b := startGrpcBusi(t)
	gid := dtmgrpc.MustGenGid(dtxGrpc(t))
	if err := newGrpcTransferSaga(t, b, gid).Submit(); err != nil {
		t.Fatalf("SagaGrpc.Submit: %v", err)
	}
	q := waitStatus(t, gid, dtmcli.StatusSucceed, finalTimeout)
	assertEqual(t, "branch rows", q.rows(), []string{"prepared", "succeed", "prepared", "succeed"})
	assertEqual(t, "protocol", q.Transaction.Protocol, "grpc")
	calls := b.recorded()
	assertEqual(t, "branch calls", methodsOf(calls), []string{"/busi.Busi/TransOut action", "/busi.Busi/TransIn action"})
	want, _ := proto.Marshal(grpcReq)
	for i, c := range calls {
		assertEqual(t, "payload bytes", c.Payload, want)
		assertGrpcBranchCall(t, c, gid, "saga", []string{"01", "02"}[i], "action")
		// dtx's own calls carry an empty dtm-dtm (spec §6.4) and config RequestTimeout (3 s)
		assertEqual(t, "dtm-dtm", c.Metadata.Get("dtm-dtm"), []string{""})
		assertDeadline(t, c, 3*time.Second)
	}
}

func TestGrpcSagaRollback(t *testing.T) {
	t.Parallel()
	b := startGrpcBusi(t).on("TransIn", status.Error(codes.Aborted, "Insufficient balance"))
	gid := dtmgrpc.MustGenGid(dtxGrpc(t))
	if err := newGrpcTransferSaga(t, b, gid).Submit(); err != nil {
		t.Fatalf("SagaGrpc.Submit (no wait_result, so the rollback is asynchronous): %v", err)
	}
	q := waitStatus(t, gid, dtmcli.StatusFailed, finalTimeout)
	assertEqual(t, "branch rows", q.rows(), []string{"succeed", "succeed", "succeed", "failed"})
	assertEqual(t, "branch calls", methodsOf(b.recorded()), grpcRollbackCalls)
	if !strings.Contains(q.Transaction.RollbackReason, "Insufficient balance") {
		t.Fatalf("rollback_reason %q does not carry the branch's status message", q.Transaction.RollbackReason)
	}
	revert := b.callsTo("TransInRevert")[0]
	assertGrpcBranchCall(t, revert, gid, "saga", "02", "compensate")
	want, _ := proto.Marshal(grpcReq)
	assertEqual(t, "compensation payload (the action's bytes)", revert.Payload, want)
}

func TestGrpcSagaWaitResult(t *testing.T) {
	t.Parallel()
	t.Run("success", func(t *testing.T) {
		t.Parallel()
		b := startGrpcBusi(t)
		gid := dtmgrpc.MustGenGid(dtxGrpc(t))
		saga := newGrpcTransferSaga(t, b, gid)
		saga.WaitResult = true
		if err := saga.Submit(); err != nil {
			t.Fatalf("SagaGrpc.Submit with WaitResult: %v", err)
		}
		q := queryTrans(t, gid) // no polling: wait_result means the pass already finished
		assertEqual(t, "status right after Submit returned", q.status(), dtmcli.StatusSucceed)
		assertEqual(t, "branch rows", q.rows(), []string{"prepared", "succeed", "prepared", "succeed"})
	})
	t.Run("rollback", func(t *testing.T) {
		t.Parallel()
		b := startGrpcBusi(t).on("TransIn", status.Error(codes.Aborted, "Insufficient balance"))
		gid := dtmgrpc.MustGenGid(dtxGrpc(t))
		saga := newGrpcTransferSaga(t, b, gid)
		saga.WaitResult = true
		err := saga.Submit()
		// the SDK hands back dtm's status as it is; dtmgrpc.GrpcError2DtmError reads Aborted as FAILURE
		if status.Code(err) != codes.Aborted || !strings.Contains(err.Error(), "Insufficient balance") {
			t.Fatalf("SagaGrpc.Submit with WaitResult = %v, want Aborted with the branch message", err)
		}
		if !errors.Is(dtmgrpc.GrpcError2DtmError(err), dtmcli.ErrFailure) {
			t.Fatalf("GrpcError2DtmError(%v) does not wrap dtmcli.ErrFailure", err)
		}
		q := queryTrans(t, gid)
		assertEqual(t, "status right after Submit returned", q.status(), dtmcli.StatusFailed)
		assertEqual(t, "branch rows", q.rows(), []string{"succeed", "succeed", "succeed", "failed"})
		assertEqual(t, "branch calls", methodsOf(b.recorded()), grpcRollbackCalls)
	})
}
