package smartasync_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/smartasync"
)

func TestParseBudget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{in: "", want: smartasync.DefaultBudget},
		{in: "   ", want: smartasync.DefaultBudget},
		{in: "20", want: 20 * time.Second},
		{in: " 45 ", want: 45 * time.Second},
		{in: "0.5", want: 500 * time.Millisecond},
		{in: "1e2", want: 100 * time.Second},
		{in: "90s", want: 90 * time.Second},
		{in: "1m30s", want: 90 * time.Second},
		{in: "0", wantErr: true},
		{in: "0s", wantErr: true},
		{in: "-5", wantErr: true},
		{in: "-1m", wantErr: true},
		{in: "NaN", wantErr: true},
		{in: "Inf", wantErr: true},
		{in: "1e300", wantErr: true},
		{in: "1e-12", wantErr: true},
		{in: "twenty", wantErr: true},
		{in: "20 s", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := smartasync.ParseBudget(tt.in)
			if tt.wantErr {
				require.ErrorIs(t, err, smartasync.ErrInvalidOptions)
				require.ErrorContains(t, err, "budget")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func FuzzParseBudget(f *testing.F) {
	for _, s := range []string{"", "20", "2.5", "1m30s", "-1", "NaN", "1e300", "9223372036.9", "0x10", "+Inf"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := smartasync.ParseBudget(s)
		if err != nil {
			require.ErrorIs(t, err, smartasync.ErrInvalidOptions)
			require.Zero(t, d)
			return
		}
		require.Positive(t, d, "a parsed budget is always usable as Options.Budget")
	})
}
