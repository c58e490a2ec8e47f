// The dtm-driver-kratos interop test: the official dtm Go SDK with dtmdriver-kratos selected
// (github.com/dtm-labs/client v1.17.3, github.com/dtm-labs/dtmdriver-kratos v0.0.10, kratos v2.2.1)
// reaches dtx through kratos' etcd registry (discovery:///<dtx name>, where dtx registered itself
// with MicroService.Target) and runs msg and saga transactions whose branches are a kratos gRPC
// service found through the same registry (discovery:///<busi name>/interop.Busi/<Method>). Then the
// branch service moves to another port and the next transactions follow it.
//
// As in a kratos application, the client registers kratos' `discovery` gRPC resolver over the etcd
// registry itself: dtmdriver-kratos' RegisterAddrResolver does nothing, and only its RegisterService
// (which a dtm server calls) installs a resolver.
//
// Environment (set by test/interop/kratos-interop.test.ts):
//
//	DTX_ETCD       etcd host:port (default 127.0.0.1:22379)
//	DTX_NAME       the kratos service name dtx registered under (default dtmservice)
//	DTX_BUSI_NAME  the kratos service name of the branch service (default trans)
package interop

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dtm-labs/client/dtmcli"
	"github.com/dtm-labs/client/dtmgrpc"
	"github.com/dtm-labs/dtmdriver"
	_ "github.com/dtm-labs/dtmdriver-kratos" // registers dtm-driver-kratos
	etcdregistry "github.com/go-kratos/kratos/contrib/registry/etcd/v2"
	"github.com/go-kratos/kratos/v2/transport/grpc/resolver/discovery"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/resolver"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

func env(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

var (
	etcdHost = env("DTX_ETCD", "127.0.0.1:22379")
	dtxName  = env("DTX_NAME", "dtmservice")
	busiName = env("DTX_BUSI_NAME", "trans")

	busiBinary string
	reg        *etcdregistry.Registry
)

func dtxTarget() string { return "discovery:///" + dtxName }

func branch(method string) string { return "discovery:///" + busiName + "/interop.Busi/" + method }

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dtx-kratos-busi-")
	if err != nil {
		panic(err)
	}
	busiBinary = filepath.Join(dir, "busi")
	build := exec.Command("go", "build", "-o", busiBinary, "./cmd/busi")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building cmd/busi failed:", err)
		os.Exit(1)
	}
	client, err := clientv3.New(clientv3.Config{Endpoints: []string{etcdHost}, DialTimeout: 5 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, "etcd client:", err)
		os.Exit(1)
	}
	reg = etcdregistry.New(client)
	// what a kratos application does so that the SDK's grpc.Dial resolves discovery:/// targets
	resolver.Register(discovery.NewBuilder(reg, discovery.WithInsecure(true)))
	code := m.Run()
	client.Close()
	os.RemoveAll(dir)
	os.Exit(code)
}

// busiProc is one running branch service; calls collects its `CALL <method> <gid> <port>` lines.
type busiProc struct {
	port  int
	cmd   *exec.Cmd
	mu    sync.Mutex
	calls []string
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// registeredEndpoints lists the grpc:// endpoints of the branch service's instances in the registry.
func registeredEndpoints(t *testing.T) []string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ins, err := reg.GetService(ctx, busiName)
	if err != nil {
		t.Fatalf("registry GetService(%s): %v", busiName, err)
	}
	out := []string{}
	for _, in := range ins {
		out = append(out, in.Endpoints...)
	}
	return out
}

// waitRegistry polls kratos' registry until `ok` holds for the service's endpoints.
func waitRegistry(t *testing.T, what string, ok func(endpoints []string) bool) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		eps := registeredEndpoints(t)
		if ok(eps) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: registry still lists %v after 30 s", what, eps)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func contains(list []string, item string) bool {
	for _, s := range list {
		if s == item {
			return true
		}
	}
	return false
}

func startBusi(t *testing.T) *busiProc {
	b := &busiProc{port: freePort(t)}
	b.cmd = exec.Command(busiBinary, "-port", fmt.Sprint(b.port), "-etcd", etcdHost, "-name", busiName)
	b.cmd.Stderr = os.Stderr
	out, err := b.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := b.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			b.mu.Lock()
			b.calls = append(b.calls, sc.Text())
			b.mu.Unlock()
		}
	}()
	endpoint := fmt.Sprintf("grpc://127.0.0.1:%d", b.port)
	waitRegistry(t, "kratos busi registration of "+endpoint, func(eps []string) bool { return contains(eps, endpoint) })
	return b
}

// stop ends the service the way an operator does (SIGTERM): the kratos app deregisters itself.
func (b *busiProc) stop(t *testing.T) {
	_ = b.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- b.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = b.cmd.Process.Kill()
		t.Fatalf("busi on port %d did not stop on SIGTERM", b.port)
	}
	endpoint := fmt.Sprintf("grpc://127.0.0.1:%d", b.port)
	waitRegistry(t, "kratos busi deregistration of "+endpoint, func(eps []string) bool { return !contains(eps, endpoint) })
}

func (b *busiProc) called(method, gid string) bool {
	want := fmt.Sprintf("CALL %s %s %d", method, gid, b.port)
	b.mu.Lock()
	defer b.mu.Unlock()
	return contains(b.calls, want)
}

// expectCalled waits for the branch calls of gid on b (dtx may still be calling after the reply).
func expectCalled(t *testing.T, b *busiProc, gid string, methods ...string) {
	deadline := time.Now().Add(20 * time.Second)
	for _, m := range methods {
		for !b.called(m, gid) {
			if time.Now().After(deadline) {
				b.mu.Lock()
				defer b.mu.Unlock()
				t.Fatalf("busi on port %d never got %s for %s; its calls: %v", b.port, m, gid, b.calls)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// settled says whether dtx is known to have seen the branch service's current registration. Right
// after a move it may not have yet (its etcd watch runs on its own), and a first branch call can
// still reach the old address; dtx then retries (retry_interval 1 s) and the test waits for the calls
// on the new instance instead of a wait_result answer.
func runMsg(t *testing.T, b *busiProc, settled bool) {
	gid := dtmgrpc.MustGenGid(dtxTarget())
	msg := dtmgrpc.NewMsgGrpc(dtxTarget(), gid).Add(branch("TransIn"), &wrapperspb.StringValue{Value: "msg"})
	msg.WaitResult = settled
	msg.RetryInterval = 1
	if err := msg.Submit(); err != nil {
		t.Fatalf("msg %s: %v", gid, err)
	}
	expectCalled(t, b, gid, "TransIn")
}

func runSaga(t *testing.T, b *busiProc, value string, settled bool) {
	gid := dtmgrpc.MustGenGid(dtxTarget())
	req := &wrapperspb.StringValue{Value: value}
	saga := dtmgrpc.NewSagaGrpc(dtxTarget(), gid).
		Add(branch("TransOut"), branch("TransOutRevert"), req).
		Add(branch("TransIn"), branch("TransInRevert"), req)
	saga.WaitResult = settled
	saga.RetryInterval = 1
	err := saga.Submit()
	if value == "FAIL" {
		if err == nil || !strings.Contains(err.Error(), dtmcli.ResultFailure) {
			t.Fatalf("saga %s should have failed, got %v", gid, err)
		}
		expectCalled(t, b, gid, "TransOut", "TransOutRevert")
		return
	}
	if err != nil {
		t.Fatalf("saga %s: %v", gid, err)
	}
	expectCalled(t, b, gid, "TransOut", "TransIn")
}

func TestKratosDriverFollowsTheBranchService(t *testing.T) {
	if err := dtmdriver.Use("dtm-driver-kratos"); err != nil {
		t.Fatal(err)
	}
	first := startBusi(t)
	runMsg(t, first, true) // dtx's first call to the service reads the registry afresh
	runSaga(t, first, "ok", true)
	runSaga(t, first, "FAIL", true)
	first.stop(t)

	second := startBusi(t)
	defer second.stop(t)
	runMsg(t, second, false)
	runSaga(t, second, "ok", false)
	runSaga(t, second, "ok", true) // dtx has called the new instance: its watch is past the move
}
