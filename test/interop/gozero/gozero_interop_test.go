// The dtm-driver-gozero interop test: the official dtm Go SDK with dtmdriver-gozero selected
// (github.com/dtm-labs/client v1.17.3, github.com/dtm-labs/dtmdriver-gozero v0.0.7) reaches dtx
// through etcd (etcd://<etcd>/<dtx key>, where dtx registered itself with MicroService.Target) and
// runs msg and saga transactions whose branches are a go-zero zrpc service found through etcd
// (etcd://<etcd>/<busi key>/interop.Busi/<Method>). Then the branch service moves to another port
// and the next transactions follow it.
//
// Environment (set by test/interop/gozero-interop.test.ts):
//
//	DTX_ETCD      etcd host:port (default 127.0.0.1:22379)
//	DTX_KEY       the key dtx registered under (default dtmservice)
//	DTX_BUSI_KEY  the key the branch service registers under (default trans.rpc)
package interop

import (
	"bufio"
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
	_ "github.com/dtm-labs/dtmdriver-gozero" // registers dtm-driver-gozero
	"github.com/zeromicro/go-zero/core/discov"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

var busiBinary string

func env(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

var (
	etcdHost = env("DTX_ETCD", "127.0.0.1:22379")
	dtxKey   = env("DTX_KEY", "dtmservice")
	busiKey  = env("DTX_BUSI_KEY", "trans.rpc")
)

func dtxTarget() string { return fmt.Sprintf("etcd://%s/%s", etcdHost, dtxKey) }

func branch(method string) string {
	return fmt.Sprintf("etcd://%s/%s/interop.Busi/%s", etcdHost, busiKey, method)
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "dtx-gozero-busi-")
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
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// busiProc is one running branch service; calls collects its `CALL <method> <gid> <port>` lines.
type busiProc struct {
	port  int
	cmd   *exec.Cmd
	mu    sync.Mutex
	calls []string
	ready chan struct{}
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func startBusi(t *testing.T) *busiProc {
	b := &busiProc{port: freePort(t), ready: make(chan struct{})}
	b.cmd = exec.Command(busiBinary, "-port", fmt.Sprint(b.port), "-etcd", etcdHost, "-key", busiKey)
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
			line := sc.Text()
			if strings.HasPrefix(line, "READY ") {
				close(b.ready)
			}
			b.mu.Lock()
			b.calls = append(b.calls, line)
			b.mu.Unlock()
		}
	}()
	select {
	case <-b.ready:
	case <-time.After(30 * time.Second):
		t.Fatalf("busi on port %d did not start", b.port)
	}
	// READY comes before zrpc publishes the address: wait until etcd lists it
	waitPublished(t, fmt.Sprintf("registration of busi on port %d", b.port), func(addrs []string) bool { return contains(addrs, b.addr()) })
	return b
}

func (b *busiProc) addr() string { return fmt.Sprintf("127.0.0.1:%d", b.port) }

var (
	subOnce sync.Once
	sub     *discov.Subscriber
	subErr  error
)

// waitPublished watches the service key with go-zero's own subscriber until ok holds for its addresses.
func waitPublished(t *testing.T, what string, ok func(addrs []string) bool) {
	subOnce.Do(func() { sub, subErr = discov.NewSubscriber([]string{etcdHost}, busiKey) })
	if subErr != nil {
		t.Fatalf("go-zero subscriber for %s: %v", busiKey, subErr)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !ok(sub.Values()) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: etcd still lists %v under %s after 30 s", what, sub.Values(), busiKey)
		}
		time.Sleep(50 * time.Millisecond)
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

// stop ends the service the way an operator does (SIGTERM): go-zero revokes its etcd lease.
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
	waitPublished(t, fmt.Sprintf("withdrawal of busi on port %d", b.port), func(addrs []string) bool { return !contains(addrs, b.addr()) })
}

func (b *busiProc) called(method, gid string) bool {
	want := fmt.Sprintf("CALL %s %s %d", method, gid, b.port)
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range b.calls {
		if c == want {
			return true
		}
	}
	return false
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

func TestGoZeroDriverFollowsTheBranchService(t *testing.T) {
	if err := dtmdriver.Use("dtm-driver-gozero"); err != nil {
		t.Fatal(err)
	}
	first := startBusi(t)
	runMsg(t, first, true) // dtx's first call to the service reads etcd afresh
	runSaga(t, first, "ok", true)
	runSaga(t, first, "FAIL", true)
	first.stop(t)

	second := startBusi(t)
	defer second.stop(t)
	runMsg(t, second, false)
	runSaga(t, second, "ok", false)
	runSaga(t, second, "ok", true) // dtx has called the new instance: its watch is past the move
}
