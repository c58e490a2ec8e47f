// Command dtm-server runs dtm v1.19.0's server (github.com/dtm-labs/dtm, built from the Go module
// proxy at exactly that version) for dtx-client's cross-server tests. It is dtm's own entry point
// (dtmsvr/entry.Main) with its microservice drivers, without the embedded admin UI of dtm's main
// package. Configuration comes from dtm's environment variables (HTTP_PORT, GRPC_PORT, ...).
package main

import (
	"os"
	"os/signal"
	"syscall"

	"github.com/dtm-labs/dtm/dtmsvr/entry"
	_ "github.com/dtm-labs/dtm/dtmsvr/microservices"
)

// version is what /api/dtmsvr/version answers.
var version = "v1.19.0"

func main() {
	app, _ := entry.Main(&version)
	if app == nil {
		return
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
}
