package main

import (
	"fmt"
	"testing"
)

// BenchmarkCellCall measures execute_python of a fast cell (x + 1) through
// the built server over stdio: the whole call, with the smart-async wrapper
// that makes a long cell a job (issue 13), the workspace snapshot that lists
// the files a cell wrote, and the history a notebook export reads.
func BenchmarkCellCall(b *testing.B) {
	cs, _ := stdioClient(b)
	callTool(b, cs, "execute_python", map[string]any{"code": "x = 1"})
	args := map[string]any{"code": "x + 1"}
	for b.Loop() {
		if res := callTool(b, cs, "execute_python", args); res.IsError {
			b.Fatal(textOf(res))
		}
	}
}

// BenchmarkSaveNotebook measures save_notebook of a session of 100 cells,
// 10 of which return a ~50 KB PNG (noise, so that it does not compress),
// through the built server over stdio.
func BenchmarkSaveNotebook(b *testing.B) {
	cs, _ := stdioClient(b)
	callTool(b, cs, "execute_python", map[string]any{"code": pngNoise})
	for i := range 100 {
		code := fmt.Sprintf("print(%d)\n%d * 2", i, i)
		if i%10 == 0 {
			code = fmt.Sprintf("Noise(%d)", i)
		}
		if res := callTool(b, cs, "execute_python", map[string]any{"code": code}); res.IsError {
			b.Fatal(textOf(res))
		}
	}
	for b.Loop() {
		if res := callTool(b, cs, "save_notebook", map[string]any{"path": "bench.ipynb"}); res.IsError {
			b.Fatal(textOf(res))
		}
	}
}

// pngNoise defines Noise(seed), a value whose _repr_png_ is a 128×128 RGB
// PNG of noise (~49 KB), with the standard library only.
const pngNoise = `import random, struct, zlib
class Noise:
    def __init__(self, seed):
        self.seed = seed
    def _repr_png_(self):
        r = random.Random(self.seed)
        w = h = 128
        raw = b"".join(b"\x00" + bytes(r.getrandbits(8) for _ in range(w * 3)) for _ in range(h))
        def chunk(t, d):
            return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
        return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
`
