package container

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Settings says what of the host the container sees besides the repository
// and the caches.
type Settings struct {
	Pass  []string // environment variables passed through when set
	Local []string // variables naming local source copies, shared read-only
}

// MountsFor maps the host into the container: the repository, the kit's
// cache and Go's caches (created if missing), and the settings' variables.
// It returns the mounts and the container's environment.
func MountsFor(ctx context.Context, repo, cacheDir string, s Settings) (Mounts, []string, error) {
	abs, err := filepath.Abs(repo)
	if err != nil {
		return Mounts{}, nil, err
	}
	m := Mounts{Repo: abs, Cache: cacheDir, GoModCache: goEnv(ctx, "GOMODCACHE"), GoCache: goEnv(ctx, "GOCACHE"),
		ReadOnly: map[string]string{}}
	for _, d := range []string{m.Cache, m.GoModCache, m.GoCache} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return Mounts{}, nil, err
		}
	}
	var env []string
	for _, k := range s.Pass {
		if v := os.Getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	for _, k := range s.Local {
		v := os.Getenv(k)
		if v == "" {
			continue
		}
		host, err := filepath.Abs(v)
		if err != nil {
			return Mounts{}, nil, fmt.Errorf("%s=%s: %w", k, v, err)
		}
		st, err := os.Stat(host)
		if err != nil {
			return Mounts{}, nil, fmt.Errorf("%s=%s: %w; point it at a directory or file holding the pinned sources", k, v, err)
		}
		// A named file brings its siblings (a tarball's signature).
		in := "/local/" + strings.ToLower(k)
		if st.IsDir() {
			m.ReadOnly[host] = in
		} else {
			m.ReadOnly[filepath.Dir(host)] = in
			in += "/" + filepath.Base(host)
		}
		env = append(env, k+"="+in)
	}
	return m, env, nil
}

func goEnv(ctx context.Context, name string) string {
	out, _ := exec.CommandContext(ctx, "go", "env", name).Output()
	return strings.TrimSpace(string(out))
}
