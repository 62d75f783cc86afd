package jobstore

// ownGroup is 0 on Windows, which has no process groups: a record's PGID
// never matches it, and killProcess never gets that far, because start
// times are unknown there (0) and a pid it cannot verify is never killed.
// A job's tree is its owner's job object, which only the owner holds: it is
// ended by the owner (a cancel) or when the owner dies (kill on close).
func ownGroup() int { return 0 }
