//go:build !race

package conformance

// raceEnabled reports whether the test runs with the race detector: then
// the servers under test are built with it too.
const raceEnabled = false
