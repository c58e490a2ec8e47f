// Command busi is a go-zero zrpc branch service for the dtm-driver-gozero interop test: it
// listens on 127.0.0.1:<port>, registers itself in etcd under <key> the go-zero way (zrpc's
// publisher: <key>/<lease id> = 127.0.0.1:<port>, revoked when the process stops on SIGTERM),
// and serves interop.Busi with saga and msg actions.
//
// The service is written without protoc: the request is google.protobuf.StringValue and the reply
// google.protobuf.Empty (well-known types from google.golang.org/protobuf), and the grpc.ServiceDesc
// that protoc-gen-go-grpc would generate is spelled out below. dtm's branch calls carry the
// protobuf bytes of the request the client added, so any message type works.
//
// Every call is printed on stdout as `CALL <method> <gid> <port>` for the test to check who was called.
// A request whose value is "FAIL" answers Aborted (dtm FAILURE), so a saga rolls back.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/zeromicro/go-zero/core/conf"
	"github.com/zeromicro/go-zero/zrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// ServiceName is the full gRPC service name; branch URLs end in /interop.Busi/<Method>.
const ServiceName = "interop.Busi"

var methods = []string{"TransIn", "TransOut", "TransInRevert", "TransOutRevert"}

type busi struct{ port int }

func (b *busi) handle(ctx context.Context, method string, req *wrapperspb.StringValue) (*emptypb.Empty, error) {
	gid := ""
	if md, ok := metadata.FromIncomingContext(ctx); ok && len(md.Get("dtm-gid")) > 0 {
		gid = md.Get("dtm-gid")[0]
	}
	fmt.Printf("CALL %s %s %d\n", method, gid, b.port)
	if req.GetValue() == "FAIL" && (method == "TransIn" || method == "TransOut") {
		return nil, status.New(codes.Aborted, "FAILURE").Err()
	}
	return &emptypb.Empty{}, nil
}

// handlerOf is what protoc-gen-go-grpc generates per method (grpc.methodHandler's signature).
func handlerOf(method string) func(interface{}, context.Context, func(interface{}) error, grpc.UnaryServerInterceptor) (interface{}, error) {
	return func(srv interface{}, ctx context.Context, dec func(interface{}) error, interceptor grpc.UnaryServerInterceptor) (interface{}, error) {
		in := new(wrapperspb.StringValue)
		if err := dec(in); err != nil {
			return nil, err
		}
		call := func(ctx context.Context, req interface{}) (interface{}, error) {
			return srv.(*busi).handle(ctx, method, req.(*wrapperspb.StringValue))
		}
		if interceptor == nil {
			return call(ctx, in)
		}
		return interceptor(ctx, in, &grpc.UnaryServerInfo{Server: srv, FullMethod: "/" + ServiceName + "/" + method}, call)
	}
}

func serviceDesc() *grpc.ServiceDesc {
	desc := &grpc.ServiceDesc{ServiceName: ServiceName, HandlerType: (*interface{})(nil), Metadata: "interop.proto"}
	for _, m := range methods {
		desc.Methods = append(desc.Methods, grpc.MethodDesc{MethodName: m, Handler: handlerOf(m)})
	}
	return desc
}

func main() {
	port := flag.Int("port", 0, "listen port on 127.0.0.1")
	etcdHost := flag.String("etcd", "127.0.0.1:2379", "etcd host:port")
	key := flag.String("key", "trans.rpc", "etcd key the service registers under")
	flag.Parse()
	if *port == 0 {
		fmt.Fprintln(os.Stderr, "busi: -port is required")
		os.Exit(2)
	}
	// Loaded from YAML so go-zero fills its defaults (timeouts, health, load shedding) as for a real service.
	yaml := fmt.Sprintf("Name: trans.rpc\nListenOn: 127.0.0.1:%d\nEtcd:\n  Hosts:\n    - %s\n  Key: %s\nLog:\n  Mode: console\n  Level: error\n", *port, *etcdHost, *key)
	var c zrpc.RpcServerConf
	if err := conf.LoadFromYamlBytes([]byte(yaml), &c); err != nil {
		fmt.Fprintln(os.Stderr, "busi: config:", err)
		os.Exit(2)
	}
	s := zrpc.MustNewServer(c, func(g *grpc.Server) { g.RegisterService(serviceDesc(), &busi{port: *port}) })
	defer s.Stop()
	fmt.Printf("READY %d\n", *port)
	s.Start()
}
