// Package interop drives dtx with the official dtm Go SDK (github.com/dtm-labs/client, pinned in go.mod)
// exactly as an application would, against a real net/http branch service on loopback.
//
// Run it through `npm test` (test/interop/go-interop.test.ts starts dtx and sets DTX_SERVER and
// DTX_GRPC), or by hand:
//
//	DTX_SERVER=http://127.0.0.1:36789/api/dtmsvr DTX_GRPC=127.0.0.1:36790 go test -count=1 -v ./...
package interop

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dtm-labs/client/dtmcli"
)

// dtxServer is the dtm-compatible API base, e.g. http://127.0.0.1:PORT/api/dtmsvr.
var dtxServer string

func TestMain(m *testing.M) {
	dtxServer = strings.TrimRight(os.Getenv("DTX_SERVER"), "/")
	if dtxServer == "" {
		fmt.Fprintln(os.Stderr, "DTX_SERVER is not set: point it at a running dtx, e.g. "+
			"DTX_SERVER=http://127.0.0.1:36789/api/dtmsvr go test -count=1 -v ./... "+
			"(npm test does this for you via test/interop/go-interop.test.ts)")
		os.Exit(2)
	}
	os.Exit(m.Run())
}

// ---------------------------------------------------------------------------------------------
// Branch service: a real HTTP server whose answers each test scripts per route.
// ---------------------------------------------------------------------------------------------

type answer struct {
	status int
	body   string
	delay  time.Duration
}

var (
	ansSuccess = answer{status: http.StatusOK, body: `{"dtm_result":"SUCCESS"}`}
	ansFailure = answer{status: http.StatusConflict, body: `{"dtm_result":"FAILURE"}`}
	// what dtm's own test busi answers when TransIn is told to fail
	ansInsufficient = answer{status: http.StatusConflict, body: `{"dtm_result":"FAILURE","message":"Insufficient balance"}`}
)

type busiCall struct {
	Route  string // e.g. "TransOut"
	Method string
	Query  url.Values
	Body   string
	At     time.Time
}

type busi struct {
	base string // http://127.0.0.1:PORT/api/busi

	mu      sync.Mutex
	calls   []busiCall
	events  []string // "<Route>:start" when a request arrives, "<Route>:end" just before it is answered
	answers map[string]func(nth int) answer
	counts  map[string]int
}

func startBusi(t *testing.T) *busi {
	t.Helper()
	b := &busi{answers: map[string]func(int) answer{}, counts: map[string]int{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("branch service listen: %v", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/busi/", b.serve)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	b.base = fmt.Sprintf("http://%s/api/busi", ln.Addr().String())
	return b
}

func (b *busi) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	route := strings.TrimPrefix(r.URL.Path, "/api/busi/")
	b.mu.Lock()
	b.calls = append(b.calls, busiCall{Route: route, Method: r.Method, Query: r.URL.Query(), Body: string(body), At: time.Now()})
	b.events = append(b.events, route+":start")
	b.counts[route]++
	nth := b.counts[route]
	script := b.answers[route]
	b.mu.Unlock()

	a := ansSuccess
	if script != nil {
		a = script(nth)
	}
	if a.delay > 0 {
		time.Sleep(a.delay)
	}
	b.mu.Lock()
	b.events = append(b.events, route+":end")
	b.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(a.status)
	_, _ = io.WriteString(w, a.body)
}

// on scripts the answer of a route (default: 200 SUCCESS).
func (b *busi) on(route string, a answer) *busi {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.answers[route] = func(int) answer { return a }
	return b
}

func (b *busi) url(route string) string { return b.base + "/" + route }

// callsTo returns the recorded calls of one route, in arrival order.
func (b *busi) callsTo(route string) []busiCall {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []busiCall
	for _, c := range b.calls {
		if c.Route == route {
			out = append(out, c)
		}
	}
	return out
}

// routes returns the routes called, in arrival order.
func (b *busi) routes() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := []string{}
	for _, c := range b.calls {
		out = append(out, c.Route)
	}
	return out
}

func (b *busi) eventLog() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.events...)
}

// ---------------------------------------------------------------------------------------------
// dtx query helpers
// ---------------------------------------------------------------------------------------------

type transView struct {
	Gid            string `json:"gid"`
	TransType      string `json:"trans_type"`
	Status         string `json:"status"`
	RollbackReason string `json:"rollback_reason"`
	QueryPrepared  string `json:"query_prepared"`
	Protocol       string `json:"protocol"`
}

type branchView struct {
	BranchID string `json:"branch_id"`
	Op       string `json:"op"`
	Status   string `json:"status"`
	URL      string `json:"url"`
}

type queryResult struct {
	Transaction *transView   `json:"transaction"`
	Branches    []branchView `json:"branches"`
}

func (q queryResult) status() string {
	if q.Transaction == nil {
		return "<no transaction>"
	}
	return q.Transaction.Status
}

func (q queryResult) rows() []string {
	out := []string{}
	for _, b := range q.Branches {
		out = append(out, b.Status)
	}
	return out
}

func (q queryResult) String() string {
	raw, _ := json.Marshal(q)
	return string(raw)
}

// queryTrans is `GET DTX_SERVER/query?gid=`, as the admin UI and dtm's own tests use it.
func queryTrans(t *testing.T, gid string) queryResult {
	t.Helper()
	resp, err := http.Get(dtxServer + "/query?gid=" + url.QueryEscape(gid))
	if err != nil {
		t.Fatalf("query %s: %v", gid, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("query %s: HTTP %d %s", gid, resp.StatusCode, raw)
	}
	var q queryResult
	if err := json.Unmarshal(raw, &q); err != nil {
		t.Fatalf("query %s: bad JSON %q: %v", gid, raw, err)
	}
	return q
}

// waitStatus polls query until the transaction reaches `want` or a final status, with a deadline.
func waitStatus(t *testing.T, gid string, want string, timeout time.Duration) queryResult {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		q := queryTrans(t, gid)
		s := q.status()
		if s == want {
			return q
		}
		if s == dtmcli.StatusSucceed || s == dtmcli.StatusFailed {
			t.Fatalf("gid %s reached final status %q, want %q; query: %s", gid, s, want, q)
		}
		if time.Now().After(deadline) {
			t.Fatalf("gid %s did not become %q within %s; last query: %s", gid, want, timeout, q)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ---------------------------------------------------------------------------------------------
// assertions
// ---------------------------------------------------------------------------------------------

func assertEqual[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
}

// assertBranchCall checks what dtx sends to a branch (spec §6.2, §6.6).
func assertBranchCall(t *testing.T, c busiCall, gid, transType, branchID, op, method, body string) {
	t.Helper()
	q := c.Query
	if q.Get("gid") != gid || q.Get("trans_type") != transType || q.Get("branch_id") != branchID || q.Get("op") != op {
		t.Fatalf("%s called with query %v, want gid=%s trans_type=%s branch_id=%s op=%s", c.Route, q, gid, transType, branchID, op)
	}
	if c.Method != method {
		t.Fatalf("%s called with method %s, want %s", c.Route, c.Method, method)
	}
	if c.Body != body {
		t.Fatalf("%s called with body %q, want %q", c.Route, c.Body, body)
	}
}

func indexOf(list []string, item string) int {
	for i, s := range list {
		if s == item {
			return i
		}
	}
	return -1
}

// transReq is the business payload of every step; the SDK marshals it to {"amount":30}.
var transReq = map[string]interface{}{"amount": 30}

const transReqJSON = `{"amount":30}`

const finalTimeout = 30 * time.Second

// ---------------------------------------------------------------------------------------------
// SAGA
// ---------------------------------------------------------------------------------------------

func newTransferSaga(b *busi, gid string) *dtmcli.Saga {
	return dtmcli.NewSaga(dtxServer, gid).
		Add(b.url("TransOut"), b.url("TransOutCompensate"), transReq).
		Add(b.url("TransIn"), b.url("TransInCompensate"), transReq)
}

func TestSagaNormal(t *testing.T) {
	t.Parallel()
	b := startBusi(t)
	gid := dtmcli.MustGenGid(dtxServer)
	saga := newTransferSaga(b, gid)
	if err := saga.Submit(); err != nil {
		t.Fatalf("saga.Submit: %v", err)
	}
	q := waitStatus(t, gid, dtmcli.StatusSucceed, finalTimeout)
	assertEqual(t, "branch rows", q.rows(), []string{"prepared", "succeed", "prepared", "succeed"})
	assertEqual(t, "transaction type", q.Transaction.TransType, "saga")
	assertEqual(t, "branch calls", b.routes(), []string{"TransOut", "TransIn"})
	assertBranchCall(t, b.callsTo("TransOut")[0], gid, "saga", "01", "action", http.MethodPost, transReqJSON)
	assertBranchCall(t, b.callsTo("TransIn")[0], gid, "saga", "02", "action", http.MethodPost, transReqJSON)
}

func TestSagaRollback(t *testing.T) {
	t.Parallel()
	b := startBusi(t).on("TransIn", ansFailure)
	gid := dtmcli.MustGenGid(dtxServer)
	saga := newTransferSaga(b, gid)
	if err := saga.Submit(); err != nil {
		t.Fatalf("saga.Submit (no wait_result, so the rollback is asynchronous): %v", err)
	}
	q := waitStatus(t, gid, dtmcli.StatusFailed, finalTimeout)
	assertEqual(t, "branch rows", q.rows(), []string{"succeed", "succeed", "succeed", "failed"})
	// a failed action is compensated too (spec §7.3.3 step 5), in reverse step order
	assertEqual(t, "branch calls", b.routes(), []string{"TransOut", "TransIn", "TransInCompensate", "TransOutCompensate"})
	assertBranchCall(t, b.callsTo("TransInCompensate")[0], gid, "saga", "02", "compensate", http.MethodPost, transReqJSON)
	assertBranchCall(t, b.callsTo("TransOutCompensate")[0], gid, "saga", "01", "compensate", http.MethodPost, transReqJSON)
}

func TestSagaConcurrentBranchOrder(t *testing.T) {
	t.Parallel()
	// TransOut answers slowly: an engine that ignored the order would start TransIn meanwhile.
	slowOut := answer{status: http.StatusOK, body: `{"dtm_result":"SUCCESS"}`, delay: 400 * time.Millisecond}
	t.Run("step 2 after step 1", func(t *testing.T) {
		t.Parallel()
		b := startBusi(t).on("TransOut", slowOut)
		gid := dtmcli.MustGenGid(dtxServer)
		saga := newTransferSaga(b, gid)
		saga.SetConcurrent()
		saga.AddBranchOrder(1, []int{0})
		if err := saga.Submit(); err != nil {
			t.Fatalf("saga.Submit: %v", err)
		}
		q := waitStatus(t, gid, dtmcli.StatusSucceed, finalTimeout)
		assertEqual(t, "branch rows", q.rows(), []string{"prepared", "succeed", "prepared", "succeed"})
		events := b.eventLog()
		outEnd, inStart := indexOf(events, "TransOut:end"), indexOf(events, "TransIn:start")
		if outEnd < 0 || inStart < 0 || inStart < outEnd {
			t.Fatalf("step 2 (TransIn) must start only after step 1 (TransOut) succeeded; events: %v", events)
		}
		assertEqual(t, "TransOut calls", len(b.callsTo("TransOut")), 1)
		assertEqual(t, "TransIn calls", len(b.callsTo("TransIn")), 1)
	})
	// control: without an order the same concurrent saga overlaps its steps, so the check above is meaningful
	t.Run("no order runs steps in parallel", func(t *testing.T) {
		t.Parallel()
		b := startBusi(t).on("TransOut", slowOut)
		gid := dtmcli.MustGenGid(dtxServer)
		saga := newTransferSaga(b, gid)
		saga.SetConcurrent()
		if err := saga.Submit(); err != nil {
			t.Fatalf("saga.Submit: %v", err)
		}
		q := waitStatus(t, gid, dtmcli.StatusSucceed, finalTimeout)
		assertEqual(t, "branch rows", q.rows(), []string{"prepared", "succeed", "prepared", "succeed"})
		events := b.eventLog()
		outEnd, inStart := indexOf(events, "TransOut:end"), indexOf(events, "TransIn:start")
		if outEnd < 0 || inStart < 0 || inStart > outEnd {
			t.Fatalf("a concurrent saga without orders must start TransIn while TransOut is running; events: %v", events)
		}
	})
}

func TestSagaWaitResult(t *testing.T) {
	t.Parallel()
	t.Run("success", func(t *testing.T) {
		t.Parallel()
		b := startBusi(t)
		gid := dtmcli.MustGenGid(dtxServer)
		saga := newTransferSaga(b, gid)
		saga.WaitResult = true
		if err := saga.Submit(); err != nil {
			t.Fatalf("saga.Submit with WaitResult: %v", err)
		}
		q := queryTrans(t, gid) // no polling: wait_result means the pass already finished
		assertEqual(t, "status right after Submit returned", q.status(), dtmcli.StatusSucceed)
		assertEqual(t, "branch rows", q.rows(), []string{"prepared", "succeed", "prepared", "succeed"})
		assertEqual(t, "branch calls", b.routes(), []string{"TransOut", "TransIn"})
	})
	t.Run("failure", func(t *testing.T) {
		t.Parallel()
		b := startBusi(t).on("TransIn", ansInsufficient)
		gid := dtmcli.MustGenGid(dtxServer)
		saga := newTransferSaga(b, gid)
		saga.WaitResult = true
		err := saga.Submit()
		if err == nil {
			t.Fatalf("saga.Submit with WaitResult and a FAILURE branch returned nil, want an error")
		}
		if !strings.Contains(err.Error(), "Insufficient balance") {
			t.Fatalf("saga.Submit error %q does not carry the branch message %q", err, "Insufficient balance")
		}
		// the pass that answered the submit also ran the compensations (spec §7.1, §7.3.3)
		q := queryTrans(t, gid)
		assertEqual(t, "status right after Submit returned", q.status(), dtmcli.StatusFailed)
		assertEqual(t, "branch rows", q.rows(), []string{"succeed", "succeed", "succeed", "failed"})
		if !strings.Contains(q.Transaction.RollbackReason, "Insufficient balance") {
			t.Fatalf("rollback_reason %q does not carry the branch message", q.Transaction.RollbackReason)
		}
	})
}

// ---------------------------------------------------------------------------------------------
// MSG
// ---------------------------------------------------------------------------------------------

func TestMsgDoAndSubmit(t *testing.T) {
	t.Parallel()
	t.Run("business succeeds", func(t *testing.T) {
		t.Parallel()
		b := startBusi(t)
		gid := dtmcli.MustGenGid(dtxServer)
		msg := dtmcli.NewMsg(dtxServer, gid).Add(b.url("TransIn"), transReq)
		var seen *dtmcli.BranchBarrier
		err := msg.DoAndSubmit(b.url("QueryPrepared"), func(bb *dtmcli.BranchBarrier) error {
			seen = bb
			// the msg is prepared while the local business runs
			if s := queryTrans(t, gid).status(); s != dtmcli.StatusPrepared {
				return fmt.Errorf("msg status during the local business is %q, want prepared", s)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("msg.DoAndSubmit: %v", err)
		}
		if seen == nil || seen.Gid != gid || seen.TransType != "msg" || seen.BranchID != "00" || seen.Op != "msg" {
			t.Fatalf("barrier passed to the business func: %+v", seen)
		}
		q := waitStatus(t, gid, dtmcli.StatusSucceed, finalTimeout)
		assertEqual(t, "branch rows", q.rows(), []string{"succeed"})
		assertEqual(t, "branch calls", b.routes(), []string{"TransIn"})
		assertBranchCall(t, b.callsTo("TransIn")[0], gid, "msg", "01", "action", http.MethodPost, transReqJSON)
	})
	t.Run("business returns ErrFailure", func(t *testing.T) {
		t.Parallel()
		b := startBusi(t)
		gid := dtmcli.MustGenGid(dtxServer)
		msg := dtmcli.NewMsg(dtxServer, gid).Add(b.url("TransIn"), transReq)
		busiErr := fmt.Errorf("Insufficient balance %w", dtmcli.ErrFailure)
		err := msg.DoAndSubmit(b.url("QueryPrepared"), func(*dtmcli.BranchBarrier) error { return busiErr })
		if !errors.Is(err, busiErr) {
			t.Fatalf("msg.DoAndSubmit returned %v, want the business error %v", err, busiErr)
		}
		// the SDK called abort synchronously: a prepared msg goes straight to failed (spec §5.6)
		q := queryTrans(t, gid)
		assertEqual(t, "status right after DoAndSubmit returned", q.status(), dtmcli.StatusFailed)
		assertEqual(t, "branch calls (no action, no query-back)", b.routes(), []string{})
	})
	t.Run("business error and query-back FAILURE", func(t *testing.T) {
		t.Parallel()
		b := startBusi(t).on("QueryPrepared", ansFailure)
		gid := dtmcli.MustGenGid(dtxServer)
		msg := dtmcli.NewMsg(dtxServer, gid).Add(b.url("TransIn"), transReq)
		busiErr := errors.New("connection to local db lost")
		err := msg.DoAndSubmit(b.url("QueryPrepared"), func(*dtmcli.BranchBarrier) error { return busiErr })
		if !errors.Is(err, busiErr) {
			t.Fatalf("msg.DoAndSubmit returned %v, want the business error %v", err, busiErr)
		}
		q := queryTrans(t, gid)
		assertEqual(t, "status right after DoAndSubmit returned", q.status(), dtmcli.StatusFailed)
		// only the SDK's own query-back, never the action
		assertEqual(t, "branch calls", b.routes(), []string{"QueryPrepared"})
		qp := b.callsTo("QueryPrepared")[0]
		assertEqual(t, "SDK query-back dtm param", qp.Query.Get("dtm"), dtxServer)
		assertBranchCall(t, qp, gid, "msg", "00", "msg", http.MethodGet, "")
	})
}

func TestMsgPrepareQueryBack(t *testing.T) {
	t.Parallel()
	t.Run("query-back SUCCESS", func(t *testing.T) {
		t.Parallel()
		b := startBusi(t) // QueryPrepared answers 200 SUCCESS
		gid := dtmcli.MustGenGid(dtxServer)
		msg := dtmcli.NewMsg(dtxServer, gid).Add(b.url("TransIn"), transReq)
		msg.TimeoutToFail = 1
		before := time.Now()
		if err := msg.Prepare(b.url("QueryPrepared")); err != nil {
			t.Fatalf("msg.Prepare: %v", err)
		}
		q := queryTrans(t, gid)
		assertEqual(t, "status after Prepare", q.status(), dtmcli.StatusPrepared)
		assertEqual(t, "query_prepared stored", q.Transaction.QueryPrepared, b.url("QueryPrepared"))
		// never submitted: dtx must ask the branch service after timeout_to_fail (1 s)
		q = waitStatus(t, gid, dtmcli.StatusSucceed, finalTimeout)
		assertEqual(t, "branch rows", q.rows(), []string{"succeed"})
		qbs := b.callsTo("QueryPrepared")
		if len(qbs) == 0 {
			t.Fatalf("msg became succeed without a query-back call; calls: %v", b.routes())
		}
		assertBranchCall(t, qbs[0], gid, "msg", "00", "msg", http.MethodGet, "")
		if early := qbs[0].At.Sub(before); early < 900*time.Millisecond {
			t.Fatalf("query-back came %s after Prepare, before timeout_to_fail (1 s)", early)
		}
		ins := b.callsTo("TransIn")
		assertEqual(t, "TransIn calls", len(ins), 1)
		assertBranchCall(t, ins[0], gid, "msg", "01", "action", http.MethodPost, transReqJSON)
		if ins[0].At.Before(qbs[0].At) {
			t.Fatalf("the action ran before the query-back confirmed the msg")
		}
	})
	t.Run("query-back FAILURE", func(t *testing.T) {
		t.Parallel()
		b := startBusi(t).on("QueryPrepared", ansFailure)
		gid := dtmcli.MustGenGid(dtxServer)
		msg := dtmcli.NewMsg(dtxServer, gid).Add(b.url("TransIn"), transReq)
		msg.TimeoutToFail = 1
		if err := msg.Prepare(b.url("QueryPrepared")); err != nil {
			t.Fatalf("msg.Prepare: %v", err)
		}
		q := waitStatus(t, gid, dtmcli.StatusFailed, finalTimeout)
		assertEqual(t, "branch rows", q.rows(), []string{"prepared"})
		if n := len(b.callsTo("QueryPrepared")); n < 1 {
			t.Fatalf("msg became failed without a query-back call")
		}
		assertEqual(t, "TransIn calls", len(b.callsTo("TransIn")), 0)
	})
}

// ---------------------------------------------------------------------------------------------
// newGid
// ---------------------------------------------------------------------------------------------

func TestMustGenGid(t *testing.T) {
	t.Parallel()
	const base57 = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
	a, b := dtmcli.MustGenGid(dtxServer), dtmcli.MustGenGid(dtxServer)
	for _, gid := range []string{a, b} {
		if len(gid) != 22 {
			t.Fatalf("MustGenGid returned %q (%d chars), want 22 (shortuuid)", gid, len(gid))
		}
		if strings.Trim(gid, base57) != "" {
			t.Fatalf("MustGenGid returned %q, want only shortuuid base57 characters", gid)
		}
	}
	if a == b {
		t.Fatalf("two MustGenGid calls returned the same gid %q", a)
	}
}
