// Command busi is a kratos gRPC branch service for the dtm-driver-kratos interop test: a kratos app
// (github.com/go-kratos/kratos/v2 v2.2.1) whose gRPC server listens on 127.0.0.1:<port> and which
// registers itself in etcd through kratos' etcd registry (contrib/registry/etcd: the key
// /microservices/<name>/<id> holds the ServiceInstance JSON with the endpoint grpc://127.0.0.1:<port>,
// under a lease; the app deregisters when it stops on SIGTERM). It serves interop.Busi with saga and
// msg actions.
//
// The service is written without protoc: the request is google.protobuf.StringValue and the reply
// google.protobuf.Empty (well-known types from google.golang.org/protobuf), and the grpc.ServiceDesc
// that protoc-gen-go-grpc would generate is spelled out below. dtm's branch calls carry the
// protobuf bytes of the request the client added, so any message type works.
//
// Every call is printed on stdout as `CALL <method> <gid> <port>` for the test to check who was called.
// A request whose value is "FAIL" answers Aborted (dtm FAILURE) on the actions, so a saga rolls back.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	etcdregistry "github.com/go-kratos/kratos/contrib/registry/etcd/v2"
	"github.com/go-kratos/kratos/v2"
	"github.com/go-kratos/kratos/v2/log"
	kgrpc "github.com/go-kratos/kratos/v2/transport/grpc"
	clientv3 "go.etcd.io/etcd/client/v3"
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

// handlerOf is what protoc-gen-go-grpc generates per method (grpc.methodHandler's signature); the
// interceptor is kratos' unary server interceptor (its middleware chain).
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
	name := flag.String("name", "trans", "kratos service name the app registers under")
	flag.Parse()
	if *port == 0 {
		fmt.Fprintln(os.Stderr, "busi: -port is required")
		os.Exit(2)
	}
	client, err := clientv3.New(clientv3.Config{Endpoints: []string{*etcdHost}, DialTimeout: 5 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, "busi: etcd client:", err)
		os.Exit(2)
	}
	defer client.Close()
	gs := kgrpc.NewServer(kgrpc.Address(fmt.Sprintf("127.0.0.1:%d", *port)))
	gs.RegisterService(serviceDesc(), &busi{port: *port})
	app := kratos.New(
		kratos.Name(*name),
		kratos.Server(gs),
		kratos.Registrar(etcdregistry.New(client)),
		kratos.Logger(log.NewFilter(log.DefaultLogger, log.FilterLevel(log.LevelError))),
	)
	// Run starts the server, registers the instance and returns after SIGTERM/SIGINT, deregistered.
	if err := app.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "busi:", err)
		os.Exit(1)
	}
}
