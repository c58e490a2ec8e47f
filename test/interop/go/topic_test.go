package interop

// Topics (spec §9) through the SDK: subscriptions over HTTP (resty, as dtm's own topic_test.go
// does) and over gRPC (the generated DtmClient), then msgs built with Msg.AddTopic and
// MsgGrpc.AddTopic fanning out to every subscriber (branch ids 01-01, 01-02).

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dtm-labs/client/dtmcli"
	"github.com/dtm-labs/client/dtmgrpc"
	"github.com/dtm-labs/client/dtmgrpc/dtmgimp"
	"github.com/dtm-labs/client/dtmgrpc/dtmgpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func uniqueTopic(prefix string) string {
	return fmt.Sprintf("%s_%d", prefix, time.Now().UnixNano())
}

// httpSubscribe is dtm's test helper: GET subscribe, an error unless HTTP 200.
func httpSubscribe(t *testing.T, topic, url string) error {
	t.Helper()
	resp, err := dtmcli.GetRestyClient().R().SetQueryParams(map[string]string{"topic": topic, "url": url, "remark": "for test"}).Get(dtxServer + "/subscribe")
	if err != nil {
		t.Fatalf("subscribe: %v", err)
	}
	if resp.StatusCode() != http.StatusOK {
		return fmt.Errorf("subscribe answered %d: %s", resp.StatusCode(), resp.String())
	}
	return nil
}

func TestTopicMsgAddTopic(t *testing.T) {
	t.Parallel()
	b := startBusi(t)
	topic := uniqueTopic("go_fanout")
	for _, route := range []string{"TransInA", "TransInB"} {
		if err := httpSubscribe(t, topic, b.url(route)); err != nil {
			t.Fatal(err)
		}
	}
	if err := httpSubscribe(t, topic, b.url("TransInA")); err == nil || !strings.Contains(err.Error(), "this url exists") {
		t.Fatalf("a repeated subscription = %v, want an error with dtm's `this url exists`", err)
	}
	gid := dtmcli.MustGenGid(dtxServer)
	if err := dtmcli.NewMsg(dtxServer, gid).AddTopic(topic, transReq).Submit(); err != nil {
		t.Fatalf("Msg.AddTopic(...).Submit: %v", err)
	}
	q := waitStatus(t, gid, dtmcli.StatusSucceed, finalTimeout)
	assertEqual(t, "branch rows", q.rows(), []string{"succeed", "succeed"})
	assertEqual(t, "branch urls", []string{q.Branches[0].URL, q.Branches[1].URL}, []string{b.url("TransInA"), b.url("TransInB")})
	assertBranchCall(t, b.callsTo("TransInA")[0], gid, "msg", "01-01", "action", http.MethodPost, transReqJSON)
	assertBranchCall(t, b.callsTo("TransInB")[0], gid, "msg", "01-02", "action", http.MethodPost, transReqJSON)

	err := dtmcli.NewMsg(dtxServer, dtmcli.MustGenGid(dtxServer)).AddTopic(uniqueTopic("go_nobody"), transReq).Submit()
	if err == nil || !strings.Contains(err.Error(), "topic not found") {
		t.Fatalf("a msg to a topic without subscribers = %v, want an error with `topic not found`", err)
	}
}

func TestGrpcTopicNormal(t *testing.T) {
	t.Parallel()
	client := dtmgimp.MustGetDtmClient(dtxGrpc(t))
	ctx := context.Background()
	topic := uniqueTopic("go_grpc_topic")
	call := func(name string, err error, want codes.Code) {
		t.Helper()
		if status.Code(err) != want {
			t.Fatalf("%s = %v, want %s", name, err, want)
		}
	}
	_, err := client.Subscribe(ctx, &dtmgpb.DtmTopicRequest{Topic: topic, URL: "http://dtm/test1", Remark: "for test"})
	call("Subscribe", err, codes.OK)
	_, err = client.Subscribe(ctx, &dtmgpb.DtmTopicRequest{Topic: topic, URL: "http://dtm/test1"})
	call("a repeated Subscribe", err, codes.Unknown)
	_, err = client.Subscribe(ctx, &dtmgpb.DtmTopicRequest{Topic: "", URL: "http://dtm/test1"})
	if err == nil {
		t.Fatal("Subscribe of an empty topic succeeded")
	}
	_, err = client.Unsubscribe(ctx, &dtmgpb.DtmTopicRequest{Topic: "non_existent_topic", URL: "http://dtm/test1"})
	if status.Convert(err).Message() != "no such a topic" {
		t.Fatalf("Unsubscribe of a missing topic = %v, want `no such a topic`", err)
	}
	_, err = client.Unsubscribe(ctx, &dtmgpb.DtmTopicRequest{Topic: topic, URL: "http://dtm/test1"})
	call("Unsubscribe", err, codes.OK)
	_, err = client.Unsubscribe(ctx, &dtmgpb.DtmTopicRequest{Topic: topic, URL: "http://dtm/test1"})
	call("a repeated Unsubscribe", err, codes.Unknown)
	_, err = client.DeleteTopic(ctx, &dtmgpb.DtmTopicRequest{Topic: "non_existent_testDeleteTopic"})
	call("DeleteTopic of a missing topic", err, codes.Unknown)
	_, err = client.DeleteTopic(ctx, &dtmgpb.DtmTopicRequest{Topic: topic})
	call("DeleteTopic", err, codes.OK)
}

func TestGrpcMsgAddTopic(t *testing.T) {
	t.Parallel()
	b := startGrpcBusi(t)
	client := dtmgimp.MustGetDtmClient(dtxGrpc(t))
	topic := uniqueTopic("go_grpc_fanout")
	for _, method := range []string{"TransIn", "TransOut"} {
		if _, err := client.Subscribe(context.Background(), &dtmgpb.DtmTopicRequest{Topic: topic, URL: b.url(method)}); err != nil {
			t.Fatalf("Subscribe %s: %v", method, err)
		}
	}
	gid := dtmgrpc.MustGenGid(dtxGrpc(t))
	if err := dtmgrpc.NewMsgGrpc(dtxGrpc(t), gid).AddTopic(topic, grpcReq).Submit(); err != nil {
		t.Fatalf("MsgGrpc.AddTopic(...).Submit: %v", err)
	}
	q := waitStatus(t, gid, dtmcli.StatusSucceed, finalTimeout)
	assertEqual(t, "branch rows", q.rows(), []string{"succeed", "succeed"})
	assertGrpcBranchCall(t, b.callsTo("TransIn")[0], gid, "msg", "01-01", "action")
	assertGrpcBranchCall(t, b.callsTo("TransOut")[0], gid, "msg", "01-02", "action")
	err := dtmgrpc.NewMsgGrpc(dtxGrpc(t), dtmgrpc.MustGenGid(dtxGrpc(t))).AddTopic(uniqueTopic("go_grpc_nobody"), grpcReq).Submit()
	if status.Code(err) != codes.Internal || status.Convert(err).Message() != "topic not found" {
		t.Fatalf("a gRPC msg to a topic without subscribers = %v, want Internal `topic not found`", err)
	}
}
