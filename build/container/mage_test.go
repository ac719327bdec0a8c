package container

import (
	"context"
	"slices"
	"testing"

	"github.com/mongoose-ffi/mongoose-ffi/build/release"
)

// TestReleaseEnvReachesOnlyDockerRelease: the container's environment, as
// MountsFor makes it from settings(), holds the release's facts and
// the token under docker:release, and never otherwise.
func TestReleaseEnvReachesOnlyDockerRelease(t *testing.T) {
	t.Setenv("GITHUB_TOKEN", "secret")
	t.Setenv(release.VersionEnv, "1.2.3")
	for _, docker := range []bool{false, true} {
		v := ""
		if docker {
			v = "1"
		}
		t.Setenv("MONGOOSE_FFI_DOCKER_RELEASE", v)
		_, env, err := MountsFor(context.Background(), t.TempDir(), t.TempDir(), settings())
		if err != nil {
			t.Fatal(err)
		}
		for _, kv := range []string{"GITHUB_TOKEN=secret", release.VersionEnv + "=1.2.3"} {
			if slices.Contains(env, kv) != docker {
				t.Errorf("docker:release %v: %s passed in is %v; env %v", docker, kv, !docker, env)
			}
		}
	}
}
