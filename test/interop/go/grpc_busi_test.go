package interop

// A grpc-go branch service for the dtmgrpc tests: it accepts any method (no generated code), records
// each raw request with its metadata, arrival time and deadline, and answers as each test scripts.

import (
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
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
	At       time.Time
	// Deadline is how long the caller gave this call (0: no deadline), read when it arrived.
	Deadline time.Duration
}

// md returns the first value of a metadata key ("" when absent).
func (c grpcCall) md(key string) string {
	if v := c.Metadata.Get(key); len(v) > 0 {
		return v[0]
	}
	return ""
}

// grpcAnswer is what the service does for one call: wait `delay` (or until the caller gives up),
// then answer `err` (nil: OK with an empty message).
type grpcAnswer struct {
	err   error
	delay time.Duration
}

type grpcBusi struct {
	target  string
	mu      sync.Mutex
	calls   []grpcCall
	answers map[string]func(nth int) grpcAnswer
	counts  map[string]int
}

func startGrpcBusi(t *testing.T) *grpcBusi {
	t.Helper()
	b := &grpcBusi{answers: map[string]func(int) grpcAnswer{}, counts: map[string]int{}}
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
	ctx := stream.Context()
	method, _ := grpc.MethodFromServerStream(stream)
	// Empty keeps every field of the request as unknown fields: re-marshalling gives the bytes back
	var in emptypb.Empty
	if err := stream.RecvMsg(&in); err != nil {
		return err
	}
	raw, _ := proto.Marshal(&in)
	md, _ := metadata.FromIncomingContext(ctx)
	call := grpcCall{Method: method, Payload: raw, Metadata: md, At: time.Now()}
	if d, ok := ctx.Deadline(); ok {
		call.Deadline = time.Until(d)
	}
	b.mu.Lock()
	b.calls = append(b.calls, call)
	b.counts[method]++
	script := b.answers[method]
	nth := b.counts[method]
	b.mu.Unlock()
	a := grpcAnswer{}
	if script != nil {
		a = script(nth)
	}
	if a.delay > 0 {
		select {
		case <-time.After(a.delay):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if a.err != nil {
		return a.err
	}
	return stream.SendMsg(&emptypb.Empty{})
}

func (b *grpcBusi) url(method string) string { return b.target + "/busi.Busi/" + method }

// on makes every call of a method answer err.
func (b *grpcBusi) on(method string, err error) *grpcBusi {
	return b.script(method, func(int) grpcAnswer { return grpcAnswer{err: err} })
}

// script decides the answer of a method's nth call (1-based).
func (b *grpcBusi) script(method string, fn func(nth int) grpcAnswer) *grpcBusi {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.answers["/busi.Busi/"+method] = fn
	return b
}

func (b *grpcBusi) recorded() []grpcCall {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]grpcCall(nil), b.calls...)
}

func (b *grpcBusi) callsTo(method string) []grpcCall {
	out := []grpcCall{}
	for _, c := range b.recorded() {
		if c.Method == "/busi.Busi/"+method {
			out = append(out, c)
		}
	}
	return out
}

// methodsOf lists calls as "<full method> <dtm-op>".
func methodsOf(calls []grpcCall) []string {
	out := []string{}
	for _, c := range calls {
		out = append(out, c.Method+" "+c.md("dtm-op"))
	}
	return out
}

// assertGrpcBranchCall checks the metadata dtx sends with a gRPC branch call (spec §6.4).
func assertGrpcBranchCall(t *testing.T, c grpcCall, gid, transType, branchID, op string) {
	t.Helper()
	got := []string{c.md("dtm-gid"), c.md("dtm-trans_type"), c.md("dtm-branch_id"), c.md("dtm-op")}
	if want := []string{gid, transType, branchID, op}; !equalStrings(got, want) {
		t.Fatalf("%s called with dtm-gid/trans_type/branch_id/op %v, want %v (metadata %v)", c.Method, got, want, c.Metadata)
	}
}

// assertDeadline checks the deadline a branch call carried, with slack for a busy machine.
func assertDeadline(t *testing.T, c grpcCall, want time.Duration) {
	t.Helper()
	if c.Deadline > want || c.Deadline < want-1500*time.Millisecond {
		t.Fatalf("%s arrived with a deadline %s away, want about %s", c.Method, c.Deadline, want)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

var grpcReq = wrapperspb.String("transfer 30")
