package cache

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestKeyIsStableAndSensitive(t *testing.T) {
	type in struct {
		A string
		B []string
	}
	k1 := Key(in{"x", []string{"1", "2"}})
	if k1 != Key(in{"x", []string{"1", "2"}}) {
		t.Error("equal inputs gave different keys")
	}
	for _, other := range []in{{"y", []string{"1", "2"}}, {"x", []string{"2", "1"}}, {"x", nil}} {
		if Key(other) == k1 {
			t.Errorf("inputs %+v collide with the original", other)
		}
	}
	if len(k1) != 16 {
		t.Errorf("key %q: want 16 hex digits", k1)
	}
}

func TestPublishLeavesNothingOnFailure(t *testing.T) {
	root := t.TempDir()
	final := filepath.Join(root, "entry")
	boom := errors.New("boom")
	err := Publish(final, func(tmp string) error {
		os.WriteFile(filepath.Join(tmp, "half"), []byte("x"), 0o644)
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if ents, _ := os.ReadDir(root); len(ents) != 0 {
		t.Errorf("failed publish left %v behind", ents)
	}
	if err := Publish(final, func(tmp string) error {
		return os.WriteFile(filepath.Join(tmp, "whole"), []byte("x"), 0o644)
	}); err != nil {
		t.Fatal(err)
	}
	if !Exists(filepath.Join(final, "whole")) {
		t.Error("published entry lacks its file")
	}
}

func TestDirHonoursEnv(t *testing.T) {
	t.Setenv(EnvVar, "relative/cache")
	d, err := Dir()
	if err != nil || !filepath.IsAbs(d) || filepath.Base(d) != "cache" {
		t.Errorf("Dir() = %q, %v; want the absolute form of $%s", d, err, EnvVar)
	}
}
