package interop

// TCC through the SDK as an application uses it: dtmcli.TccGlobalTransaction over HTTP and
// dtmgrpc.TccGlobalTransaction over gRPC. The SDK prepares, registers each branch (confirm/cancel
// URLs and the payload), calls `try` itself, then submits, or aborts with the error as reason.

import (
	"net/http"
	"strings"
	"testing"

	"github.com/dtm-labs/client/dtmcli"
	"github.com/dtm-labs/client/dtmgrpc"
	"github.com/go-resty/resty/v2"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
)

func transferTcc(b *busi) dtmcli.TccGlobalFunc {
	return func(tcc *dtmcli.Tcc) (*resty.Response, error) {
		if _, err := tcc.CallBranch(transReq, b.url("TransOut"), b.url("TransOutConfirm"), b.url("TransOutCancel")); err != nil {
			return nil, err
		}
		return tcc.CallBranch(transReq, b.url("TransIn"), b.url("TransInConfirm"), b.url("TransInCancel"))
	}
}

func TestTccNormal(t *testing.T) {
	t.Parallel()
	b := startBusi(t)
	gid := dtmcli.MustGenGid(dtxServer)
	if err := dtmcli.TccGlobalTransaction(dtxServer, gid, transferTcc(b)); err != nil {
		t.Fatalf("TccGlobalTransaction: %v", err)
	}
	q := waitStatus(t, gid, dtmcli.StatusSucceed, finalTimeout)
	assertEqual(t, "branch rows", q.rows(), []string{"prepared", "succeed", "prepared", "succeed"})
	assertEqual(t, "transaction type", q.Transaction.TransType, "tcc")
	// the SDK calls try; dtx confirms, last registered branch first (spec §7.5)
	assertEqual(t, "branch calls", b.routes(), []string{"TransOut", "TransIn", "TransInConfirm", "TransOutConfirm"})
	assertBranchCall(t, b.callsTo("TransIn")[0], gid, "tcc", "02", "try", http.MethodPost, transReqJSON)
	assertBranchCall(t, b.callsTo("TransInConfirm")[0], gid, "tcc", "02", "confirm", http.MethodPost, transReqJSON)
	assertBranchCall(t, b.callsTo("TransOutConfirm")[0], gid, "tcc", "01", "confirm", http.MethodPost, transReqJSON)
}

func TestTccRollback(t *testing.T) {
	t.Parallel()
	b := startBusi(t).on("TransIn", ansInsufficient)
	gid := dtmcli.MustGenGid(dtxServer)
	err := dtmcli.TccGlobalTransaction(dtxServer, gid, transferTcc(b))
	if err == nil || !strings.Contains(err.Error(), "FAILURE") {
		t.Fatalf("TccGlobalTransaction = %v, want the try's FAILURE", err)
	}
	q := waitStatus(t, gid, dtmcli.StatusFailed, finalTimeout)
	assertEqual(t, "branch rows", q.rows(), []string{"succeed", "prepared", "succeed", "prepared"})
	if !strings.Contains(q.Transaction.RollbackReason, "Insufficient balance") {
		t.Fatalf("rollback_reason %q does not carry the try's error", q.Transaction.RollbackReason)
	}
	// both registered branches are cancelled (the failed try's too: its cancel must be empty-safe), in reverse
	assertEqual(t, "branch calls", b.routes(), []string{"TransOut", "TransIn", "TransInCancel", "TransOutCancel"})
	assertBranchCall(t, b.callsTo("TransInCancel")[0], gid, "tcc", "02", "cancel", http.MethodPost, transReqJSON)
}

func grpcTransferTcc(b *grpcBusi) dtmgrpc.TccGlobalFunc {
	return func(tcc *dtmgrpc.TccGrpc) error {
		if err := tcc.CallBranch(grpcReq, b.url("TransOut"), b.url("TransOutConfirm"), b.url("TransOutCancel"), &emptypb.Empty{}); err != nil {
			return err
		}
		return tcc.CallBranch(grpcReq, b.url("TransIn"), b.url("TransInConfirm"), b.url("TransInCancel"), &emptypb.Empty{})
	}
}

func TestGrpcTccNormal(t *testing.T) {
	t.Parallel()
	b := startGrpcBusi(t)
	gid := dtmgrpc.MustGenGid(dtxGrpc(t))
	if err := dtmgrpc.TccGlobalTransaction(dtxGrpc(t), gid, grpcTransferTcc(b)); err != nil {
		t.Fatalf("dtmgrpc.TccGlobalTransaction: %v", err)
	}
	q := waitStatus(t, gid, dtmcli.StatusSucceed, finalTimeout)
	assertEqual(t, "branch rows", q.rows(), []string{"prepared", "succeed", "prepared", "succeed"})
	assertEqual(t, "protocol", q.Transaction.Protocol, "grpc")
	calls := b.recorded()
	assertEqual(t, "branch calls", methodsOf(calls), []string{
		"/busi.Busi/TransOut try", "/busi.Busi/TransIn try", "/busi.Busi/TransInConfirm confirm", "/busi.Busi/TransOutConfirm confirm",
	})
	// the registered BusiPayload (the protobuf request) is what confirm receives
	want, _ := proto.Marshal(grpcReq)
	assertEqual(t, "confirm payload", calls[2].Payload, want)
	assertGrpcBranchCall(t, calls[2], gid, "tcc", "02", "confirm")
}

func TestGrpcTccRollback(t *testing.T) {
	t.Parallel()
	b := startGrpcBusi(t).on("TransIn", status.Error(codes.Aborted, "Insufficient balance"))
	gid := dtmgrpc.MustGenGid(dtxGrpc(t))
	err := dtmgrpc.TccGlobalTransaction(dtxGrpc(t), gid, grpcTransferTcc(b))
	if status.Code(err) != codes.Aborted {
		t.Fatalf("dtmgrpc.TccGlobalTransaction = %v, want the try's Aborted", err)
	}
	q := waitStatus(t, gid, dtmcli.StatusFailed, finalTimeout)
	assertEqual(t, "branch rows", q.rows(), []string{"succeed", "prepared", "succeed", "prepared"})
	// the gRPC SDK aborts with the error text as it is (TestTccGrpcRollback)
	if !strings.Contains(q.Transaction.RollbackReason, "Insufficient balance") {
		t.Fatalf("rollback_reason %q does not carry the try's error", q.Transaction.RollbackReason)
	}
	assertEqual(t, "branch calls", methodsOf(b.recorded()), []string{
		"/busi.Busi/TransOut try", "/busi.Busi/TransIn try", "/busi.Busi/TransInCancel cancel", "/busi.Busi/TransOutCancel cancel",
	})
}
