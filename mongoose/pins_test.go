package mongoose

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
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
