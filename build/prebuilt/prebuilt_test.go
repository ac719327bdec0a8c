package prebuilt

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mongoose-ffi/mongoose-ffi/build/target"
)

var linux, _ = target.Lookup("linux/amd64")

func pins() Pins {
	return Pins{Mongoose: "7.22", OpenSSL: "3.5.7", ABI: strings.Repeat("a", 64),
		Inputs: map[string]string{"mongoose.c": "c1", "poll.c": "g1", "mongoose_ffi.h": strings.Repeat("a", 64)}}
}

// writeLib lays out a library directory whose manifest says m.
func writeLib(t *testing.T, m Manifest, lib []byte) string {
	t.Helper()
	dir := t.TempDir()
	data, _ := json.Marshal(m)
	for name, b := range map[string][]byte{ManifestFile: data, linux.Library: lib, ExportsFile: []byte("mg_ffi_poll\n")} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func manifestFor(p Pins) Manifest {
	return Manifest{Target: "linux/amd64", Mongoose: p.Mongoose, OpenSSL: p.OpenSSL, ABI: p.ABI, Inputs: p.Inputs}
}

// A library built from other pins is refused before anything else, with
// what differs and what to do.
func TestCheckRefusesOtherPins(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(*Manifest)
		want   string
	}{
		{"mongoose", func(m *Manifest) { m.Mongoose = "7.21" }, `mongoose "7.21", this checkout pins 7.22`},
		{"openssl", func(m *Manifest) { m.OpenSSL = "3.5.6" }, `OpenSSL "3.5.6", this checkout pins 3.5.7`},
		{"abi", func(m *Manifest) { m.ABI = strings.Repeat("b", 64) }, "another glue ABI"},
		{"glue source", func(m *Manifest) {
			m.Inputs = map[string]string{"mongoose.c": "c1", "poll.c": "g2", "mongoose_ffi.h": m.ABI}
		},
			"another poll.c"},
		{"target", func(m *Manifest) { m.Target = "windows/amd64" }, `for "windows/amd64", not linux/amd64`},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := manifestFor(pins())
			m.Inputs = map[string]string{"mongoose.c": "c1", "poll.c": "g1", "mongoose_ffi.h": m.ABI}
			c.change(&m)
			_, err := Check(writeLib(t, m, []byte("not a library")), linux, pins())
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "refused") ||
				!strings.Contains(err.Error(), "artifacts:download") {
				t.Errorf("err = %v; want it refused, saying %q and what to do", err, c.want)
			}
		})
	}
}

// A manifest that matches does not make a bad library pass: it is verified.
func TestCheckVerifiesTheLibrary(t *testing.T) {
	_, err := Check(writeLib(t, manifestFor(pins()), []byte("not a library")), linux, pins())
	if err == nil {
		t.Fatal("a garbage library passed")
	}
	dir := writeLib(t, manifestFor(pins()), nil)
	os.Remove(filepath.Join(dir, ManifestFile))
	if _, err := Check(dir, linux, pins()); err == nil || !strings.Contains(err.Error(), ManifestFile) {
		t.Errorf("err = %v; want the missing manifest named", err)
	}
}

func TestDecide(t *testing.T) {
	empty := t.TempDir()
	full := writeLib(t, manifestFor(pins()), []byte("lib"))
	found := func(string) (string, error) { return filepath.Join("bin", "x"), nil }
	missing := func(name string) (string, error) {
		if name == "perl" {
			return "", errors.New("not found")
		}
		return filepath.Join("bin", name), nil
	}
	for _, c := range []struct {
		name, env, dir string
		look           func(string) (string, error)
		use            bool
		err, why       string
	}{
		{"asked, present", "1", full, found, true, "", Env + "=1"},
		{"asked, absent", "1", empty, found, false, "artifacts:download", ""},
		{"refused", "0", full, missing, false, "", ""},
		{"bad value", "yes", full, found, false, "want 1", ""},
		{"can build", "", full, found, false, "", ""},
		{"cannot build, present", "", full, missing, true, "", "no perl"},
		{"cannot build, absent", "", empty, missing, false, "no perl on PATH", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(Env, c.env)
			lookPath = c.look
			defer func() { lookPath = defaultLookPath }()
			use, why, err := Decide(c.dir, linux)
			if use != c.use || (c.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.err)) || !strings.Contains(why, c.why) {
				t.Errorf("Decide = %v, %q, %v; want %v, %q, error with %q", use, why, err, c.use, c.why, c.err)
			}
		})
	}
}

var defaultLookPath = lookPath
