package pgstore

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRedact: no form of a database URL shows its password in a message,
// parseable or not.
func TestRedact(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{"postgres://u:s3cret@db:5432/x", "postgres://u:xxxxx@db:5432/x"},
		{"postgres://u:s3cret@db:notaport/x", "postgres://u:xxxxx@db:notaport/x"},
		{"postgres://u:s%40cr%2Fet@db/x", "postgres://u:xxxxx@db/x"},
		{"postgres://u@db/x?password=s3cret&sslmode=disable", "postgres://u@db/x?password=xxxxx&sslmode=disable"},
		{"host=db user=u password=s3cret dbname=x", "host=db user=u password=xxxxx dbname=x"},
		{"host=db user=u password='s3cret' dbname=x", "host=db user=u password='xxxxx' dbname=x"},
		{"postgres://u@db/x", "postgres://u@db/x"},
	} {
		require.Equal(t, tc.want, redact(tc.raw), tc.raw)
	}
	// An error that repeats the password decoded is cleaned too.
	msg := scrub(errSample("password s@cr/et refused"), "postgres://u:s%40cr%2Fet@db/x")
	require.Equal(t, "password xxxxx refused", msg)
}

type errSample string

func (e errSample) Error() string { return string(e) }
