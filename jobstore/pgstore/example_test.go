package pgstore_test

import (
	"context"
	"log"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/pyexec-mcp/pyexec/jobstore/pgstore"
	"github.com/pyexec-mcp/pyexec/mcptools"
)

// A server whose jobs every replica shares: the Toolset keeps them in
// PostgreSQL. (Compiled, not run: it needs a database.)
func ExampleOpen() {
	ctx := context.Background()
	st, err := pgstore.Open(ctx, &pgstore.Options{URL: "postgres://pyexec@db/pyexec", Replica: "pod-1"})
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close() // after the Toolset's Close, which cancels the running jobs
	ts, err := mcptools.New(ctx, &mcptools.Options{Store: st})
	if err != nil {
		log.Fatal(err)
	}
	defer ts.Close()
	server := mcp.NewServer(&mcp.Implementation{Name: "python", Version: "v1"}, ts.ServerOptions(nil))
	ts.Register(server)
}
