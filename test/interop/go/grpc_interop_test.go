package interop

// The dtm Go SDK's gRPC client (dtmgrpc) against dtx's gRPC ingress (DTX_GRPC=host:port), with a
// real grpc-go branch service on loopback. The SDK's requests are exactly what a dtm application
// sends: protobuf payloads, Steps as JSON text, TransOptions, and dtm's status codes back.

import (
	"errors"
	"net"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/dtm-labs/client/dtmcli"
	"github.com/dtm-labs/client/dtmgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// dtxGrpc returns DTX_GRPC (set by test/interop/go-interop.test.ts) or fails the test.
func dtxGrpc(t *testing.T) string {
	t.Helper()
	s := os.Getenv("DTX_GRPC")
	if s == "" {
		t.Fatalf("DTX_GRPC is not set: point it at dtx's gRPC port, e.g. DTX_GRPC=127.0.0.1:36790")
	}
	return s
}

type grpcCall struct {
	Method   string
	Payload  []byte
	Metadata metadata.MD
}

// grpcBusi is a grpc-go server that accepts any method (no generated code): it records the raw
// request and answers OK, or the status scripted for the method.
type grpcBusi struct {
	target  string
	mu      sync.Mutex
	calls   []grpcCall
	answers map[string]error
}

func startGrpcBusi(t *testing.T) *grpcBusi {
	t.Helper()
	b := &grpcBusi{answers: map[string]error{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("gRPC branch service listen: %v", err)
	}
	srv := grpc.NewServer(grpc.UnknownServiceHandler(b.handle))
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(srv.Stop)
	b.target = ln.Addr().String()
	return b
}

func (b *grpcBusi) handle(_ interface{}, stream grpc.ServerStream) error {
	method, _ := grpc.MethodFromServerStream(stream)
	// Empty keeps every field of the request as unknown fields: re-marshalling gives the bytes back
	var in emptypb.Empty
	if err := stream.RecvMsg(&in); err != nil {
		return err
	}
	raw, _ := proto.Marshal(&in)
	md, _ := metadata.FromIncomingContext(stream.Context())
	b.mu.Lock()
	b.calls = append(b.calls, grpcCall{Method: method, Payload: raw, Metadata: md})
	answer := b.answers[method]
	b.mu.Unlock()
	if answer != nil {
		return answer
	}
	return stream.SendMsg(&emptypb.Empty{})
}

func (b *grpcBusi) url(method string) string { return b.target + "/busi.Busi/" + method }

func (b *grpcBusi) on(method string, err error) *grpcBusi {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.answers["/busi.Busi/"+method] = err
	return b
}

func (b *grpcBusi) recorded() []grpcCall {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]grpcCall(nil), b.calls...)
}

func methodsOf(calls []grpcCall) []string {
	out := []string{}
	for _, c := range calls {
		out = append(out, c.Method+" "+c.Metadata.Get("dtm-op")[0])
	}
	return out
}

var grpcReq = wrapperspb.String("transfer 30")

func TestGrpcMustGenGid(t *testing.T) {
	t.Parallel()
	gid := dtmgrpc.MustGenGid(dtxGrpc(t))
	if len(gid) != 22 {
		t.Fatalf("dtmgrpc.MustGenGid = %q, want a 22-character shortuuid", gid)
	}
}

func TestGrpcSagaNormal(t *testing.T) {
	t.Parallel()
	b := startGrpcBusi(t)
	gid := dtmgrpc.MustGenGid(dtxGrpc(t))
	saga := dtmgrpc.NewSagaGrpc(dtxGrpc(t), gid).
		Add(b.url("TransOut"), b.url("TransOutRevert"), grpcReq).
		Add(b.url("TransIn"), b.url("TransInRevert"), grpcReq)
	if err := saga.Submit(); err != nil {
		t.Fatalf("SagaGrpc.Submit: %v", err)
	}
	q := waitStatus(t, gid, dtmcli.StatusSucceed, finalTimeout)
	assertEqual(t, "branch rows", q.rows(), []string{"prepared", "succeed", "prepared", "succeed"})
	calls := b.recorded()
	assertEqual(t, "branch calls", methodsOf(calls), []string{"/busi.Busi/TransOut action", "/busi.Busi/TransIn action"})
	want, _ := proto.Marshal(grpcReq)
	for _, c := range calls {
		assertEqual(t, "payload bytes", c.Payload, want)
		assertEqual(t, "dtm-gid", c.Metadata.Get("dtm-gid"), []string{gid})
		assertEqual(t, "dtm-trans_type", c.Metadata.Get("dtm-trans_type"), []string{"saga"})
	}
}

func TestGrpcSagaRollbackWaitResult(t *testing.T) {
	t.Parallel()
	b := startGrpcBusi(t).on("TransIn", status.Error(codes.Aborted, "Insufficient balance"))
	gid := dtmgrpc.MustGenGid(dtxGrpc(t))
	saga := dtmgrpc.NewSagaGrpc(dtxGrpc(t), gid).
		Add(b.url("TransOut"), b.url("TransOutRevert"), grpcReq).
		Add(b.url("TransIn"), b.url("TransInRevert"), grpcReq)
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
	assertEqual(t, "branch calls", methodsOf(b.recorded()), []string{
		"/busi.Busi/TransOut action", "/busi.Busi/TransIn action", "/busi.Busi/TransInRevert compensate", "/busi.Busi/TransOutRevert compensate",
	})
}

func TestGrpcMsgPrepareSubmit(t *testing.T) {
	t.Parallel()
	b := startGrpcBusi(t)
	gid := dtmgrpc.MustGenGid(dtxGrpc(t))
	msg := dtmgrpc.NewMsgGrpc(dtxGrpc(t), gid).Add(b.url("TransIn"), grpcReq)
	if err := msg.Prepare(b.url("QueryPrepared")); err != nil {
		t.Fatalf("MsgGrpc.Prepare: %v", err)
	}
	assertEqual(t, "status after Prepare", queryTrans(t, gid).status(), dtmcli.StatusPrepared)
	if err := msg.Submit(); err != nil {
		t.Fatalf("MsgGrpc.Submit: %v", err)
	}
	waitStatus(t, gid, dtmcli.StatusSucceed, finalTimeout)
	assertEqual(t, "branch calls", methodsOf(b.recorded()), []string{"/busi.Busi/TransIn action"})
	// a second Submit after succeed is dtm's FAILURE: Aborted with dtm's text
	err := msg.Submit()
	if status.Code(err) != codes.Aborted || status.Convert(err).Message() != "current status 'succeed', cannot sumbmit. FAILURE" {
		t.Fatalf("second MsgGrpc.Submit = %v, want Aborted \"current status 'succeed', cannot sumbmit. FAILURE\"", err)
	}
}

func TestGrpcTccNotSupportedYet(t *testing.T) {
	t.Parallel()
	gid := dtmgrpc.MustGenGid(dtxGrpc(t))
	err := dtmgrpc.TccGlobalTransaction(dtxGrpc(t), gid, func(tcc *dtmgrpc.TccGrpc) error {
		t.Fatalf("the TCC body ran although dtx refused the transaction")
		return nil
	})
	if status.Code(err) != codes.Unimplemented || !strings.Contains(err.Error(), "not supported by dtx yet") {
		t.Fatalf("TccGlobalTransaction = %v, want Unimplemented 'not supported by dtx yet'", err)
	}
}
