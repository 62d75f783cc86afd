package mcptools

import (
	"log/slog"
	"testing"
)

func BenchmarkAutosave(b *testing.B) {
	s := &scripts{dir: b.TempDir(), autosaveDir: b.TempDir(), keep: DefaultAutosaveKeep, log: slog.New(slog.DiscardHandler), count: -1}
	params := map[string]any{"directory": "/tmp", "use_uv": false}
	for b.Loop() {
		if s.autosave("run_script_in_dir", "print(1)", params) == "" {
			b.Fatal("autosave failed")
		}
	}
}
