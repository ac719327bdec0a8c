package release

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mongoose-ffi/mongoose-ffi/build/peer"
)

// TestGPLText obtains the pinned GPLv2 text into an empty cache, and refuses
// a local copy that is not the FSF's text.
func TestGPLText(t *testing.T) {
	ctx := context.Background()
	bad := filepath.Join(t.TempDir(), "gpl-2.0.txt")
	if err := os.WriteFile(bad, []byte("GNU GENERAL PUBLIC LICENSE, abridged\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(GPLEnv, bad)
	if _, err := gplText(ctx, t.TempDir()); err == nil || !strings.Contains(err.Error(), "sha256 mismatch") {
		t.Fatalf("a wrong GPL text was accepted: %v", err)
	}
	if _, err := os.Stat(filepath.Join(debianLicenses, "GPL-2")); err != nil {
		peer.Skip(t, fmt.Sprintf("no %s/GPL-2 to obtain it from offline: %v", debianLicenses, err))
	}
	t.Setenv(GPLEnv, "")
	text, err := gplText(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(text), "Version 2, June 1991") {
		t.Fatalf("not the GPLv2: %.80q", text)
	}
}
