package uvcmd

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBuildRefusedNamesTheDistribution(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, message, want string
	}{
		{"resolution", "error: No solution found when resolving dependencies\n  cause: Because evil==1.0 has no usable wheels …\n\nhint: Wheels are required for `evil` because building from source is disabled for all packages (i.e., with `--no-build`)", "evil"},
		{"direct reference", "Resolved 1 package in 2ms\nerror: Building source distributions is disabled, but attempted to build `evil`", "evil"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := BuildRefused(tc.message)
			var re *RefusedError
			require.ErrorAs(t, err, &re)
			require.Equal(t, RuleSourceBuild, re.Rule)
			require.Equal(t, tc.want, re.Requirement)
		})
	}
	require.NoError(t, BuildRefused("error: Failed to fetch: `https://pypi.org/simple/evil/`"))
}
