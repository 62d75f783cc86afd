package sandbox_test

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/pyexec-mcp/pyexec/sandbox"
)

// A policy as an MCP tool receives it.
func ExamplePolicy() {
	var p sandbox.Policy
	_ = json.Unmarshal([]byte(`{"memory_bytes": 268435456, "no_network": true, "env_allow_list": ["PATH", "LC_*"]}`), &p)
	fmt.Println(p.Switches())
	// Output: [memory_bytes no_network env_allow_list]
}

// The server's secrets stay out of the child's environment; what the
// caller passed on purpose gets through.
func ExampleFilterEnv() {
	server := []string{"PATH=/usr/bin", "LANG=C.UTF-8", "OPENAI_API_KEY=sk-...", "GITHUB_TOKEN=ghp_...", "DATA_DIR=/data"}
	fmt.Println(sandbox.FilterEnv(server, sandbox.DefaultEnvAllowList(), []string{"DATA_DIR"}))
	// Output: [PATH=/usr/bin LANG=C.UTF-8 DATA_DIR=/data]
}

// Check tells up front whether a policy can be enforced here.
func ExampleCheck() {
	err := sandbox.Check(&sandbox.Policy{NoNetwork: true})
	var ue *sandbox.UnavailableError
	if errors.As(err, &ue) {
		fmt.Println("cannot enforce", ue.Switch+":", err)
	}
}
