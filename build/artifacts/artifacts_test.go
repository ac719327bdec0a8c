package artifacts

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/mongoose-ffi/mongoose-ffi/build/artifacts/githubtest"
	"github.com/mongoose-ffi/mongoose-ffi/build/peer"
	"github.com/mongoose-ffi/mongoose-ffi/build/prebuilt"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
	"github.com/mongoose-ffi/mongoose-ffi/mongoose"
)

// hostLibrary is out/<host>/ as CI uploads it, or a skip.
func hostLibrary(t *testing.T) (target.Target, map[string][]byte) {
	tg, ok := target.Lookup(runtime.GOOS + "/" + runtime.GOARCH)
	if !ok {
		peer.Skip(t, fmt.Sprintf("SKIPPED: no target for %s/%s", runtime.GOOS, runtime.GOARCH))
	}
	dir := filepath.Join("..", "..", "out", tg.Dir())
	if !prebuilt.Present(dir, tg) {
		peer.Skip(t, fmt.Sprintf("SKIPPED: %s holds no library to serve: run `go tool mage build` first", dir))
	}
	files := map[string][]byte{}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		files[e.Name()], _ = os.ReadFile(filepath.Join(dir, e.Name()))
	}
	return tg, files
}

func options(t *testing.T, f *githubtest.Server, tg target.Target) (Options, *bytes.Buffer) {
	m, err := mongoose.Expected()
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	return Options{Owner: "o", Repo: "r", Branch: "main", Token: githubtest.Token, APIURL: f.API.URL, Targets: []target.Target{tg},
		OutRoot: filepath.Join(t.TempDir(), "out"), Log: &log,
		Pins: prebuilt.Pins{Mongoose: m.Mongoose, OpenSSL: m.OpenSSL, ABI: m.ABI, Inputs: m.Inputs}}, &log
}

// The latest successful run's artifact, found on the third page, fetched
// through the 302 without the token, verified and installed in out/.
func TestDownloadInstallsVerifiedLibrary(t *testing.T) {
	tg, files := hostLibrary(t)
	f := githubtest.New(t)
	// Newest first; the pull request runs fill page 1, the run wanted is on
	// page 2 (two runs a page).
	f.AddPullRequestRun(990, "main", true)
	f.AddPullRequestRun(980, "main", false)
	f.AddRun(901, "main", "failure", "bad")
	f.AddRun(900, "main", "success", "c0ffee")
	f.AddRun(800, "main", "success", "old")
	f.AddRun(950, "other", "success", "x")
	for i, tt := range target.All() {
		if tt != tg {
			f.AddArtifact(int64(10+i), Prefix+tt.Dir(), githubtest.Zip(t, map[string][]byte{"other": nil}), false)
		}
	}
	f.AddArtifact(99, Prefix+tg.Dir(), githubtest.Zip(t, files), false)
	o, log := options(t, f, tg)
	// A previous download is replaced whole.
	old := filepath.Join(o.OutRoot, tg.Dir())
	os.MkdirAll(old, 0o755)
	os.WriteFile(filepath.Join(old, "stale.txt"), []byte("x"), 0o644)
	rs, err := Download(context.Background(), o)
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	lib, err := prebuilt.Check(old, tg, o.Pins)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].RunID != 900 || rs[0].Commit != "c0ffee" || rs[0].SHA256 != lib.SHA256 {
		t.Errorf("results %+v; want run 900, commit c0ffee, sha256 %s", rs, lib.SHA256)
	}
	if st, err := os.Stat(old); err != nil || (runtime.GOOS != "windows" && st.Mode().Perm() != 0o755) {
		t.Errorf("%s: %v, %v; want a directory anyone can read", old, st.Mode(), err)
	}
	if _, err := os.Stat(filepath.Join(old, "stale.txt")); err == nil {
		t.Error("the old out/ directory's files survived: it was merged, not replaced")
	}
	for _, want := range []string{"run 900", "c0ffee", tg.String(), lib.SHA256} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, log)
		}
	}
	for _, a := range f.BlobAuth {
		if a != "" {
			t.Errorf("the token went to the blob store: %q", a)
		}
	}
	ents, _ := os.ReadDir(o.OutRoot)
	if len(ents) != 1 {
		t.Errorf("out/ holds %d entries, want only %s: temporary files left", len(ents), tg.Dir())
	}
}

// Each failure says what went wrong and what to do, and leaves out/ empty.
func TestDownloadFailures(t *testing.T) {
	tg, _ := target.Lookup("linux/amd64")
	good := func(f *githubtest.Server) { f.AddRun(900, "main", "success", "c0ffee") }
	for _, c := range []struct {
		name  string
		setup func(*githubtest.Server, *Options)
		want  []string
	}{
		{"bad token", func(f *githubtest.Server, o *Options) { good(f); o.Token = "wrong" }, []string{"401", "GITHUB_TOKEN"}},
		{"no successful run", func(f *githubtest.Server, o *Options) { f.AddRun(901, "main", "failure", "x") },
			[]string{"no successful ci.yml run of branch main", RunEnv}},
		{"unknown run", func(f *githubtest.Server, o *Options) { good(f); o.RunID = 4242 }, []string{"404", "run 4242"}},
		{"target missing", func(f *githubtest.Server, o *Options) {
			good(f)
			f.AddArtifact(11, Prefix+"darwin_arm64", githubtest.Zip(t, nil), false)
		}, []string{"no artifact " + Prefix + "linux_amd64", Prefix + "darwin_arm64", RunEnv}},
		{"expired in the listing", func(f *githubtest.Server, o *Options) {
			good(f)
			f.AddArtifact(11, Prefix+"linux_amd64", nil, true)
		}, []string{"expired", "re-run"}},
		{"expired at download", func(f *githubtest.Server, o *Options) {
			good(f)
			f.AddArtifact(11, Prefix+"linux_amd64", nil, false)
			f.Expired[11] = true
		}, []string{"expired (410", "re-run"}},
		{"zip escapes", func(f *githubtest.Server, o *Options) {
			good(f)
			f.AddArtifact(11, Prefix+"linux_amd64", githubtest.Zip(t, map[string][]byte{"manifest.json": nil, "../evil.so": []byte("x")}), false)
		}, []string{`"../evil.so" escapes`, "refused"}},
		{"not a zip", func(f *githubtest.Server, o *Options) {
			good(f)
			f.AddArtifact(11, Prefix+"linux_amd64", []byte("<html>"), false)
		}, []string{"not a zip", "not what CI uploads"}},
		{"not CI's layout", func(f *githubtest.Server, o *Options) {
			good(f)
			f.AddArtifact(11, Prefix+"linux_amd64", githubtest.Zip(t, map[string][]byte{"out/linux_amd64/mongoose.so": []byte("x")}), false)
		}, []string{"not what CI uploads", "manifest.json"}},
		{"other pins", func(f *githubtest.Server, o *Options) {
			good(f)
			man, _ := json.Marshal(map[string]any{"target": "linux/amd64", "mongoose": "7.21", "openssl": o.Pins.OpenSSL, "abi_header_sha256": o.Pins.ABI, "inputs_sha256": o.Pins.Inputs})
			f.AddArtifact(11, Prefix+"linux_amd64", githubtest.Zip(t, map[string][]byte{"manifest.json": man, "mongoose.so": []byte("x")}), false)
		}, []string{"refused", `mongoose "7.21"`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := githubtest.New(t)
			o, _ := options(t, f, tg)
			c.setup(f, &o)
			_, err := Download(context.Background(), o)
			for _, want := range c.want {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("err = %v; want it to say %q", err, want)
				}
			}
			ents, _ := os.ReadDir(o.OutRoot)
			for _, e := range ents {
				t.Errorf("out/ holds %s after a failed download", e.Name())
			}
			if _, err := os.Stat(filepath.Join(filepath.Dir(o.OutRoot), "evil.so")); err == nil {
				t.Error("an escaping entry was written")
			}
		})
	}
}

func TestUnzipRefusesEscapes(t *testing.T) {
	for _, name := range []string{"../x", "a/../../x", "/etc/x", `..\x`, "C:/x", "a/./b"} {
		p := filepath.Join(t.TempDir(), "a.zip")
		os.WriteFile(p, githubtest.Zip(t, map[string][]byte{name: []byte("x")}), 0o644)
		if err := Unzip(p, t.TempDir()); err == nil || !strings.Contains(err.Error(), "refused") {
			t.Errorf("%q: err = %v; want it refused", name, err)
		}
	}
}

func TestRepoFromRemote(t *testing.T) {
	for in, want := range map[string]string{
		"https://github.com/mongoose-ffi/mongoose-ffi.git": "mongoose-ffi/mongoose-ffi",
		"https://github.com/o/r":                           "o/r",
		"git@github.com:o/r.git":                           "o/r",
		"ssh://git@ghe.example.com:2222/o/r.git":           "o/r",
		"https://x-access-token:t@github.com/o/r.git":      "o/r",
		"/local/path": "",
	} {
		if got := RepoFromRemote(in); got != want {
			t.Errorf("RepoFromRemote(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFromEnvWithoutToken(t *testing.T) {
	t.Setenv("GITHUB_TOKEN", "")
	t.Setenv("GH_TOKEN", "")
	t.Setenv("PATH", t.TempDir()) // no gh
	t.Setenv(RepoEnv, "o/r")
	t.Setenv(RunEnv, "5")
	_, err := FromEnv(context.Background())
	if err == nil || !strings.Contains(err.Error(), "GITHUB_TOKEN or GH_TOKEN") {
		t.Errorf("err = %v; want it to say how to give a token", err)
	}
	t.Setenv(RunEnv, "latest")
	if _, err := FromEnv(context.Background()); err == nil || !strings.Contains(err.Error(), RunEnv) {
		t.Errorf("err = %v; want the bad run id named", err)
	}
}
