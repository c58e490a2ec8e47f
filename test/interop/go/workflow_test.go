package interop

// The dtm Go SDK's workflow package (client/workflow) over HTTP (workflow.InitHTTP) against dtx:
// prepareWorkflow answers parsed by the SDK with protojson, one progress per step, the SDK's own
// compensations on a failed step, and resumption of a workflow whose process stopped mid-way, by
// dtx calling the resume callback (served here as dtm's busi serves it) or by Execute called again.
// The SDK keeps its settings in package globals, so these tests are not parallel.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dtm-labs/client/dtmcli"
	"github.com/dtm-labs/client/workflow"
)

// resumeService serves the HTTP resume callback as dtm's busi does (workflow.ExecuteByQS with the
// body; the error mapped by dtmcli.Result2HttpJSON) and records its calls.
type resumeService struct {
	url   string
	mu    sync.Mutex
	calls []busiCall
}

func startResumeService(t *testing.T) *resumeService {
	t.Helper()
	s := &resumeService{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("resume service listen: %v", err)
	}
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.calls = append(s.calls, busiCall{Route: "resume", Method: r.Method, Query: r.URL.Query(), Body: string(body), At: time.Now()})
		s.mu.Unlock()
		code, res := dtmcli.Result2HttpJSON(workflow.ExecuteByQS(r.URL.Query(), body))
		w.WriteHeader(code)
		_, _ = fmt.Fprint(w, res)
	})}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	s.url = fmt.Sprintf("http://%s/api/busi/workflow/resume", ln.Addr())
	return s
}

func (s *resumeService) recorded() []busiCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]busiCall(nil), s.calls...)
}

// retrySoon makes a workflow's first cron pass come two seconds after prepareWorkflow.
func retrySoon(wf *workflow.Workflow) { wf.RetryInterval = 2 }

// transferWorkflow: TransOut (confirmed on commit, reverted on rollback), then TransIn (reverted on rollback).
func transferWorkflow(b *busi) workflow.WfFunc2 {
	return func(wf *workflow.Workflow, data []byte) ([]byte, error) {
		_, err := wf.NewBranch().OnRollback(func(bb *dtmcli.BranchBarrier) error {
			_, err := wf.NewRequest().SetBody(data).Post(b.url("TransOutRevert"))
			return err
		}).OnCommit(func(bb *dtmcli.BranchBarrier) error {
			_, err := wf.NewRequest().SetBody(data).Post(b.url("TransOutConfirm"))
			return err
		}).NewRequest().SetBody(data).Post(b.url("TransOut"))
		if err != nil {
			return nil, err
		}
		_, err = wf.NewBranch().OnRollback(func(bb *dtmcli.BranchBarrier) error {
			_, err := wf.NewRequest().SetBody(data).Post(b.url("TransInRevert"))
			return err
		}).NewRequest().SetBody(data).Post(b.url("TransIn"))
		return []byte("transferred"), err
	}
}

func progressRows(q queryResult) []string {
	out := []string{}
	for _, b := range q.Branches {
		out = append(out, b.BranchID+" "+b.Op+" "+b.Status)
	}
	return out
}

func TestWorkflowHTTP(t *testing.T) {
	b := startBusi(t)
	resume := startResumeService(t)
	workflow.InitHTTP(dtxServer, resume.url)
	gid := dtmcli.MustGenGid(dtxServer)
	if err := workflow.Register2(gid, transferWorkflow(b)); err != nil {
		t.Fatal(err)
	}
	res, err := workflow.ExecuteCtx(context.Background(), gid, gid, []byte(transReqJSON))
	if err != nil {
		t.Fatalf("workflow.ExecuteCtx: %v", err)
	}
	assertEqual(t, "result", string(res), "transferred")
	q := queryTrans(t, gid)
	assertEqual(t, "status", q.status(), dtmcli.StatusSucceed)
	assertEqual(t, "progresses", progressRows(q), []string{"01 action succeed", "02 action succeed", "01 commit succeed"})
	assertEqual(t, "steps", b.routes(), []string{"TransOut", "TransIn", "TransOutConfirm"})
	for i, c := range append(b.callsTo("TransOut"), append(b.callsTo("TransIn"), b.callsTo("TransOutConfirm")...)...) {
		want := [][2]string{{"01", "action"}, {"02", "action"}, {"01", "commit"}}[i]
		assertEqual(t, c.Route+" query", []string{c.Query.Get("gid"), c.Query.Get("trans_type"), c.Query.Get("branch_id"), c.Query.Get("op")}, []string{gid, "workflow", want[0], want[1]})
	}
	// executed again: the SDK reads the stored result from prepareWorkflow and runs nothing
	again, err := workflow.ExecuteCtx(context.Background(), gid, gid, []byte(transReqJSON))
	if err != nil || string(again) != "transferred" {
		t.Fatalf("second ExecuteCtx of a succeeded workflow = %q, %v; want the stored result", again, err)
	}
	assertEqual(t, "steps after the second Execute", len(b.routes()), 3)
	assertEqual(t, "resume callbacks", len(resume.recorded()), 0)
}

func TestWorkflowHTTPRollback(t *testing.T) {
	b := startBusi(t)
	b.on("TransIn", ansInsufficient)
	resume := startResumeService(t)
	workflow.InitHTTP(dtxServer, resume.url)
	gid := dtmcli.MustGenGid(dtxServer)
	if err := workflow.Register2(gid, transferWorkflow(b)); err != nil {
		t.Fatal(err)
	}
	_, err := workflow.ExecuteCtx(context.Background(), gid, gid, []byte(transReqJSON))
	if !errors.Is(err, dtmcli.ErrFailure) {
		t.Fatalf("workflow.ExecuteCtx = %v, want an ErrFailure", err)
	}
	q := queryTrans(t, gid)
	assertEqual(t, "status", q.status(), dtmcli.StatusFailed)
	// the failed step is not compensated (CompensateErrorBranch false); TransOut is reverted by the SDK
	assertEqual(t, "progresses", progressRows(q), []string{"01 action succeed", "02 action failed", "01 rollback succeed"})
	assertEqual(t, "steps", b.routes(), []string{"TransOut", "TransIn", "TransOutRevert"})
	if !strings.Contains(q.Transaction.RollbackReason, "Insufficient balance") {
		t.Fatalf("rollback_reason %q does not carry the branch's message", q.Transaction.RollbackReason)
	}
	// executed again: FAILURE with the stored reason, nothing runs
	if _, err := workflow.ExecuteCtx(context.Background(), gid, gid, []byte(transReqJSON)); !errors.Is(err, dtmcli.ErrFailure) {
		t.Fatalf("second ExecuteCtx of a failed workflow = %v, want ErrFailure", err)
	}
	assertEqual(t, "steps after the second Execute", len(b.routes()), 3)
}

// crashOnce runs step 01, then "crashes" (a plain error: the SDK neither submits nor compensates)
// the first time; later runs go on with step 02.
func crashOnce(b *busi, runs *int32) workflow.WfFunc2 {
	return func(wf *workflow.Workflow, data []byte) ([]byte, error) {
		_, err := wf.NewBranch().NewRequest().SetBody(data).Post(b.url("TransOut"))
		if err != nil {
			return nil, err
		}
		if atomic.AddInt32(runs, 1) == 1 {
			return nil, errors.New("process stopped mid-workflow")
		}
		_, err = wf.NewBranch().NewRequest().SetBody(data).Post(b.url("TransIn"))
		return []byte("resumed"), err
	}
}

func TestWorkflowHTTPResume(t *testing.T) {
	b := startBusi(t)
	resume := startResumeService(t)
	workflow.InitHTTP(dtxServer, resume.url)
	gid := dtmcli.MustGenGid(dtxServer)
	var runs int32
	if err := workflow.Register2(gid, crashOnce(b, &runs), retrySoon); err != nil {
		t.Fatal(err)
	}
	if _, err := workflow.ExecuteCtx(context.Background(), gid, gid, []byte(transReqJSON)); err == nil {
		t.Fatal("the first run must end with its error")
	}
	assertEqual(t, "status after the crash", queryTrans(t, gid).status(), dtmcli.StatusPrepared)
	// dtx's cron calls the resume callback; the SDK replays step 01 and runs step 02
	q := waitStatus(t, gid, dtmcli.StatusSucceed, finalTimeout)
	assertEqual(t, "progresses", progressRows(q), []string{"01 action succeed", "02 action succeed"})
	assertEqual(t, "steps (TransOut not run again)", b.routes(), []string{"TransOut", "TransIn"})
	calls := resume.recorded()
	assertEqual(t, "resume callbacks", len(calls), 1)
	last := calls[0]
	assertEqual(t, "callback", []string{last.Method, last.Query.Get("gid"), last.Query.Get("op"), last.Query.Get("branch_id"), last.Query.Get("trans_type"), last.Body},
		[]string{http.MethodPost, gid, gid, "00", "workflow", transReqJSON})
}

func TestWorkflowHTTPExecuteAgain(t *testing.T) {
	b := startBusi(t)
	resume := startResumeService(t)
	workflow.InitHTTP(dtxServer, resume.url)
	gid := dtmcli.MustGenGid(dtxServer)
	var runs int32
	// the default reset interval (10 s): the client resumes before dtx would
	if err := workflow.Register2(gid, crashOnce(b, &runs)); err != nil {
		t.Fatal(err)
	}
	if _, err := workflow.ExecuteCtx(context.Background(), gid, gid, []byte(transReqJSON)); err == nil {
		t.Fatal("the first run must end with its error")
	}
	res, err := workflow.ExecuteCtx(context.Background(), gid, gid, []byte(transReqJSON))
	if err != nil || string(res) != "resumed" {
		t.Fatalf("ExecuteCtx again = %q, %v", res, err)
	}
	q := queryTrans(t, gid)
	assertEqual(t, "status", q.status(), dtmcli.StatusSucceed)
	assertEqual(t, "steps (TransOut not run again)", b.routes(), []string{"TransOut", "TransIn"})
	assertEqual(t, "resume callbacks", len(resume.recorded()), 0)
}
