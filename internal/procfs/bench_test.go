//go:build linux

package procfs

import (
	"os"
	"syscall"
	"testing"
)

func BenchmarkReadStat(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadStat(os.Getppid()); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadStatus(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadStatus(os.Getpid()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGroup is one scan of /proc: the stat of every process on the
// machine.
func BenchmarkGroup(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Group(syscall.Getpgrp()); err != nil {
			b.Fatal(err)
		}
	}
}
