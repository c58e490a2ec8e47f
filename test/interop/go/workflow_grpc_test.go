package interop

// The dtm Go SDK's workflow package over gRPC (workflow.InitGrpc) against dtx: PrepareWorkflow,
// RegisterBranch and Submit with ReqExtra through dtmgimp, steps recorded by workflow.Interceptor
// on calls to the grpc-go branch service (grpc_busi_test.go), and dtx calling the SDK's own
// `workflow.Workflow/Execute` service (served by a grpc-go server here) to resume a workflow.
// Not parallel: the SDK keeps its protocol and callback in package globals.

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/dtm-labs/client/dtmcli"
	"github.com/dtm-labs/client/dtmgrpc"
	"github.com/dtm-labs/client/dtmgrpc/dtmgimp"
	"github.com/dtm-labs/client/workflow"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// initGrpcWorkflow serves the SDK's Workflow service on a new grpc-go server (workflow.InitGrpc)
// and dials the branch service with workflow.Interceptor, which records each step.
func initGrpcWorkflow(t *testing.T, b *grpcBusi) *grpc.ClientConn {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("workflow service listen: %v", err)
	}
	srv := grpc.NewServer()
	workflow.InitGrpc(dtxGrpc(t), ln.Addr().String(), srv)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	conn, err := grpc.Dial(b.target, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithUnaryInterceptor(workflow.Interceptor))
	if err != nil {
		t.Fatalf("dial the branch service: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// grpcTransfer: TransOut (reverted on rollback), then TransIn; `gate` may stop the run after TransOut.
func grpcTransfer(conn *grpc.ClientConn, gate func(data []byte) error) workflow.WfFunc2 {
	return func(wf *workflow.Workflow, data []byte) ([]byte, error) {
		var req wrapperspb.StringValue
		dtmgimp.MustProtoUnmarshal(data, &req)
		wf.NewBranch().OnRollback(func(bb *dtmcli.BranchBarrier) error {
			return conn.Invoke(wf.Context, "/busi.Busi/TransOutRevert", &req, &emptypb.Empty{})
		})
		if err := conn.Invoke(wf.Context, "/busi.Busi/TransOut", &req, &emptypb.Empty{}); err != nil {
			return nil, err
		}
		if err := gate(data); err != nil {
			return nil, err
		}
		wf.NewBranch()
		return []byte("moved " + req.Value), conn.Invoke(wf.Context, "/busi.Busi/TransIn", &req, &emptypb.Empty{})
	}
}

func noGate([]byte) error { return nil }

func TestWorkflowGrpc(t *testing.T) {
	b := startGrpcBusi(t)
	conn := initGrpcWorkflow(t, b)
	gid := dtmgrpc.MustGenGid(dtxGrpc(t))
	if err := workflow.Register2(gid, grpcTransfer(conn, noGate)); err != nil {
		t.Fatal(err)
	}
	res, err := workflow.ExecuteCtx(context.Background(), gid, gid, dtmgimp.MustProtoMarshal(grpcReq))
	if err != nil || string(res) != "moved transfer 30" {
		t.Fatalf("workflow.ExecuteCtx = %q, %v", res, err)
	}
	q := queryTrans(t, gid)
	assertEqual(t, "status", q.status(), dtmcli.StatusSucceed)
	assertEqual(t, "protocol", q.Transaction.Protocol, "grpc")
	assertEqual(t, "progresses", progressRows(q), []string{"01 action succeed", "02 action succeed"})
	assertEqual(t, "steps", methodsOf(b.recorded()), []string{"/busi.Busi/TransOut action", "/busi.Busi/TransIn action"})
	// executed again: the result comes back from PrepareWorkflow (dtm's gRPC answer leaves it empty, spec §16.6)
	again, err := workflow.ExecuteCtx(context.Background(), gid, gid, dtmgimp.MustProtoMarshal(grpcReq))
	if err != nil || string(again) != "moved transfer 30" {
		t.Fatalf("second ExecuteCtx = %q, %v; want the stored result", again, err)
	}
	assertEqual(t, "steps after the second Execute", len(b.recorded()), 2)
}

func TestWorkflowGrpcRollback(t *testing.T) {
	b := startGrpcBusi(t)
	b.on("TransIn", status.New(codes.Aborted, "Insufficient balance").Err())
	conn := initGrpcWorkflow(t, b)
	gid := dtmgrpc.MustGenGid(dtxGrpc(t))
	if err := workflow.Register2(gid, grpcTransfer(conn, noGate)); err != nil {
		t.Fatal(err)
	}
	_, err := workflow.ExecuteCtx(context.Background(), gid, gid, dtmgimp.MustProtoMarshal(grpcReq))
	if !errors.Is(err, dtmcli.ErrFailure) {
		t.Fatalf("workflow.ExecuteCtx = %v, want an ErrFailure", err)
	}
	q := queryTrans(t, gid)
	assertEqual(t, "status", q.status(), dtmcli.StatusFailed)
	assertEqual(t, "progresses", progressRows(q), []string{"01 action succeed", "02 action failed", "01 rollback succeed"})
	assertEqual(t, "steps", methodsOf(b.recorded()), []string{"/busi.Busi/TransOut action", "/busi.Busi/TransIn action", "/busi.Busi/TransOutRevert rollback"})
	if !strings.Contains(q.Transaction.RollbackReason, "Insufficient balance") {
		t.Fatalf("rollback_reason %q does not carry the branch's message", q.Transaction.RollbackReason)
	}
}

func TestWorkflowGrpcResume(t *testing.T) {
	b := startGrpcBusi(t)
	conn := initGrpcWorkflow(t, b)
	gid := dtmgrpc.MustGenGid(dtxGrpc(t))
	var runs int32
	var resumedWith atomic.Value
	// the first run stops after TransOut with ONGOING (no submit); dtx's cron then calls Execute
	gate := func(data []byte) error {
		if atomic.AddInt32(&runs, 1) == 1 {
			return dtmcli.ErrOngoing
		}
		resumedWith.Store(string(data))
		return nil
	}
	if err := workflow.Register2(gid, grpcTransfer(conn, gate), retrySoon); err != nil {
		t.Fatal(err)
	}
	if _, err := workflow.ExecuteCtx(context.Background(), gid, gid, dtmgimp.MustProtoMarshal(grpcReq)); !errors.Is(err, dtmcli.ErrOngoing) {
		t.Fatalf("first run = %v, want ErrOngoing", err)
	}
	assertEqual(t, "status after the first run", queryTrans(t, gid).status(), dtmcli.StatusPrepared)
	q := waitStatus(t, gid, dtmcli.StatusSucceed, finalTimeout)
	assertEqual(t, "progresses", progressRows(q), []string{"01 action succeed", "02 action succeed"})
	assertEqual(t, "steps (TransOut not run again)", methodsOf(b.recorded()), []string{"/busi.Busi/TransOut action", "/busi.Busi/TransIn action"})
	assertEqual(t, "runs", atomic.LoadInt32(&runs), int32(2))
	// dtx sent the input as WorkflowData{Data}: the SDK's Execute handed the same bytes to the workflow
	assertEqual(t, "input of the resumed run", resumedWith.Load(), any(string(dtmgimp.MustProtoMarshal(grpcReq))))
}
