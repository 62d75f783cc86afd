package cgroup

import (
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestNames(t *testing.T) {
	t.Parallel()
	name, err := NewName()
	require.NoError(t, err)
	o, ok := ParseName(name)
	require.True(t, ok, name)
	require.Equal(t, os.Getpid(), o.PID)
	require.NotZero(t, o.StartTime)
	again, err := NewName()
	require.NoError(t, err)
	require.NotEqual(t, name, again, "every run has its own cgroup")

	for _, tc := range []struct {
		name string
		want Owner
		ok   bool
	}{
		{"pyexec-42-1234-0123456789abcdef", Owner{PID: 42, StartTime: 1234}, true},
		{"pyexec-42-0123456789abcdef", Owner{PID: 42}, true}, // the earlier form
		{"pyexec-42-0-0123456789abcdef", Owner{}, false},
		{"pyexec-042-1-0123456789abcdef", Owner{}, false},
		{"pyexec-0-1-0123456789abcdef", Owner{}, false},
		{"pyexec--1-1-0123456789abcdef", Owner{}, false},
		{"pyexec-42-1-0123456789ABCDEF", Owner{}, false},
		{"pyexec-42-1-0123456789abcde", Owner{}, false},
		{"pyexec-42-1-2-0123456789abcdef", Owner{}, false},
		{"pyexec-sandbox-0123456789abcdef", Owner{}, false},
		{"other-42-1-0123456789abcdef", Owner{}, false},
		{"pyexec-", Owner{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, ok := ParseName(tc.name)
			require.Equal(t, tc.ok, ok)
			require.Equal(t, tc.want, o)
		})
	}
}
