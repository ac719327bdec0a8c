package mongoose

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestExpectedMatchesManifest: what a prebuilt library is checked against
// is what Build writes in the manifest of the library under test.
func TestExpectedMatchesManifest(t *testing.T) {
	library(t)
	data, err := os.ReadFile(filepath.Join(filepath.Dir(libPath), "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var got Manifest
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	want, err := Expected()
	if err != nil {
		t.Fatal(err)
	}
	if got.Mongoose != want.Mongoose || got.OpenSSL != want.OpenSSL || got.ABI != want.ABI || !maps.Equal(got.Inputs, want.Inputs) {
		t.Errorf("manifest %+v\nExpected %+v", got, want)
	}
}

// TestGlueFiles: every file of csrc/ keys the build and is in the
// manifest's inputs, and every .c there is compiled: adding a glue file
// needs no Go.
func TestGlueFiles(t *testing.T) {
	ents, err := os.ReadDir("csrc")
	if err != nil {
		t.Fatal(err)
	}
	sums, srcs := glueSums(), glueSources()
	for _, e := range ents {
		if e.IsDir() {
			t.Errorf("csrc/%s: csrc/ holds files only", e.Name())
			continue
		}
		if _, ok := sums[e.Name()]; !ok {
			t.Errorf("csrc/%s does not key the build", e.Name())
		}
		if filepath.Ext(e.Name()) == ".c" && !slices.Contains(srcs, e.Name()) {
			t.Errorf("csrc/%s is not compiled", e.Name())
		}
	}
	if len(sums) != len(ents) {
		t.Errorf("%d files key the build, csrc/ holds %d", len(sums), len(ents))
	}
	if err := checkGlueNames(); err != nil {
		t.Error(err)
	}
}
