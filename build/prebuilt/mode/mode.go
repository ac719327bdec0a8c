// Package mode says whether this process tests a prebuilt library. It
// imports nothing of the kit, so that any test can ask.
package mode

import "os"

// Env set to 1 makes `go tool mage test` test out/<host>/'s library instead
// of building one; 0 forces a build. `mage test` sets it for the tests it
// runs, so that a test that would build or fetch skips instead (see On).
const Env = "MONGOOSE_FFI_PREBUILT"

// On reports whether this process tests a prebuilt library.
func On() bool { return os.Getenv(Env) == "1" }

// SkipReason is what a test that would build or fetch says when it skips.
const SkipReason = "SKIPPED: " + Env + "=1: testing a prebuilt library, nothing is built or fetched"
