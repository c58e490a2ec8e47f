package interop

// A JSON-RPC 2.0 branch service as dtm's JSON-RPC protocol calls it (spec §6.3): dtx POSTs
// {"jsonrpc":"2.0","method":<the URL's ?method=>,"id":..,"params":<payload>+{gid,trans_type,branch_id,op}}
// and reads the answer's `error`: null → SUCCESS, code -32901 → FAILURE, -32902 → ONGOING.

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

const (
	jrpcCodeFailure = -32901 // dtmimp.JrpcCodeFailure
	jrpcCodeOngoing = -32902 // dtmimp.JrpcCodeOngoing
)

// jrpcRequest is the body of a JSON-RPC branch call.
type jrpcRequest struct {
	JSONRPC string                 `json:"jsonrpc"`
	Method  string                 `json:"method"`
	ID      interface{}            `json:"id"`
	Params  map[string]interface{} `json:"params"`
}

type jrpcCall struct {
	jrpcRequest
	HTTPMethod string
	URLMethod  string // the `method` query parameter of the URL dtx posted to
	RawQuery   string
	Header     http.Header
	At         time.Time
}

// jrpcError is the `error` member of an answer; nil answers a result.
type jrpcError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

type jrpcBusi struct {
	base    string // http://127.0.0.1:PORT/api/busi_jrpc
	mu      sync.Mutex
	calls   []jrpcCall
	answers map[string]*jrpcError
}

func startJrpcBusi(t *testing.T) *jrpcBusi {
	t.Helper()
	b := &jrpcBusi{answers: map[string]*jrpcError{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("JSON-RPC branch service listen: %v", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/busi_jrpc", b.serve)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	b.base = fmt.Sprintf("http://%s/api/busi_jrpc", ln.Addr().String())
	return b
}

func (b *jrpcBusi) serve(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	call := jrpcCall{HTTPMethod: r.Method, URLMethod: r.URL.Query().Get("method"), RawQuery: r.URL.RawQuery, Header: r.Header, At: time.Now()}
	w.Header().Set("Content-Type", "application/json")
	if err := json.Unmarshal(raw, &call.jrpcRequest); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = fmt.Fprintf(w, `{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":%q}}`, err.Error())
		return
	}
	b.mu.Lock()
	b.calls = append(b.calls, call)
	rerr := b.answers[call.Method]
	b.mu.Unlock()
	// the success answer must not contain SUCCESS/FAILURE/ONGOING: dtx classifies the HTTP body first
	answer := map[string]interface{}{"jsonrpc": "2.0", "id": call.ID, "result": map[string]string{"done": call.Method}, "error": nil}
	if rerr != nil {
		answer = map[string]interface{}{"jsonrpc": "2.0", "id": call.ID, "result": nil, "error": rerr}
	}
	_ = json.NewEncoder(w).Encode(answer)
}

// url is a JSON-RPC branch URL: dtx calls it as JSON-RPC because it names a `method`.
func (b *jrpcBusi) url(method string) string { return b.base + "?method=" + method }

// fail makes a method answer a JSON-RPC error with the given code.
func (b *jrpcBusi) fail(method string, code int, message string) *jrpcBusi {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.answers[method] = &jrpcError{Code: code, Message: message}
	return b
}

// succeed makes a method answer a result again.
func (b *jrpcBusi) succeed(method string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.answers, method)
}

func (b *jrpcBusi) recorded() []jrpcCall {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]jrpcCall(nil), b.calls...)
}

// methods lists calls as "<method> <params.op>".
func (b *jrpcBusi) methods() []string {
	out := []string{}
	for _, c := range b.recorded() {
		out = append(out, fmt.Sprintf("%s %v", c.Method, c.Params["op"]))
	}
	return out
}

func (b *jrpcBusi) callsTo(method string) []jrpcCall {
	out := []jrpcCall{}
	for _, c := range b.recorded() {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// assertJrpcBranchCall checks one JSON-RPC branch call (spec §6.3): a POST to the URL as given
// (no gid/op query parameters appended), the URL's method as the JSON-RPC method, and the payload's
// members plus the transaction's coordinates as params.
func assertJrpcBranchCall(t *testing.T, c jrpcCall, payload map[string]interface{}, gid, transType, branchID, op string) {
	t.Helper()
	if c.HTTPMethod != http.MethodPost || c.RawQuery != "method="+c.Method || c.URLMethod != c.Method || c.JSONRPC != "2.0" {
		t.Fatalf("JSON-RPC call %+v: want POST to ?method=%s only, with jsonrpc 2.0", c, c.Method)
	}
	if id, ok := c.ID.(string); !ok || id == "" {
		t.Fatalf("JSON-RPC call %s has id %#v, want a non-empty string", c.Method, c.ID)
	}
	want := map[string]interface{}{"gid": gid, "trans_type": transType, "branch_id": branchID, "op": op}
	for k, v := range payload {
		want[k] = v
	}
	assertEqual(t, c.Method+" params", c.Params, want)
}
