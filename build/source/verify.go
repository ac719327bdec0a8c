package source

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// ChecksumError is a file whose bytes do not match its pin.
type ChecksumError struct {
	Path, Want, Got, Fix string
}

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("%s: sha256 mismatch\n  expected %s\n  actual   %s\n%s", e.Path, e.Want, e.Got, e.Fix)
}

// FileSHA256 hashes a file.
func FileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// checkFile compares a file's hash with the pin; fix tells the user what to do.
func checkFile(path string, f *File, fix string) error {
	got, err := FileSHA256(path)
	if err != nil {
		return err
	}
	if got != f.SHA256 {
		return &ChecksumError{Path: path, Want: f.SHA256, Got: got, Fix: fix}
	}
	return nil
}

// VerifySignature checks the detached armored signature sigPath over
// filePath with the keys in keyring, accepting only the given fingerprints.
// Key expiry is judged at the signature's creation time: a release signed
// while the key was valid stays valid after the key expires.
func VerifySignature(filePath, sigPath string, keyring []byte, fingerprints []string) (signer string, err error) {
	all, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(keyring))
	if err != nil {
		return "", fmt.Errorf("reading release signing keys: %w", err)
	}
	var trusted openpgp.EntityList
	for _, e := range all {
		if slices.Contains(fingerprints, fpr(e.PrimaryKey.Fingerprint)) {
			trusted = append(trusted, e)
		}
	}
	if len(trusted) == 0 {
		return "", fmt.Errorf("none of the pinned key fingerprints (%s) is in the keyring", strings.Join(fingerprints, ", "))
	}
	sigBytes, err := os.ReadFile(sigPath)
	if err != nil {
		return "", err
	}
	created, err := signatureTime(sigBytes)
	if err != nil {
		return "", fmt.Errorf("%s: %w", sigPath, err)
	}
	f, err := os.Open(filePath)
	if err != nil {
		return "", err
	}
	defer f.Close()
	e, err := openpgp.CheckArmoredDetachedSignature(trusted, f, bytes.NewReader(sigBytes), nil)
	// Expiry errors come only after the signature verified; what matters
	// then is whether the key was valid when the release was signed.
	if (errors.Is(err, pgperrors.ErrKeyExpired) || errors.Is(err, pgperrors.ErrSignatureExpired)) && e != nil {
		err = validAt(e, created)
	}
	if err != nil {
		return "", fmt.Errorf("%s: signature check failed against %s: %w\nThe file is not the one upstream signed: delete it and fetch it again from a trusted source", filePath, sigPath, err)
	}
	return fpr(e.PrimaryKey.Fingerprint), nil
}

// validAt reports whether the key was valid at t, judged by its newest
// verified self-signature made no later than t.
func validAt(e *openpgp.Entity, t time.Time) error {
	var best *packet.Signature
	for name, id := range e.Identities {
		for _, sig := range id.Signatures {
			if sig.IssuerKeyId == nil || *sig.IssuerKeyId != e.PrimaryKey.KeyId || sig.CreationTime.After(t) {
				continue
			}
			if best != nil && !sig.CreationTime.After(best.CreationTime) {
				continue
			}
			if e.PrimaryKey.VerifyUserIdSignature(name, e.PrimaryKey, sig) == nil {
				best = sig
			}
		}
	}
	if best == nil {
		return fmt.Errorf("the key had no valid self-signature when the release was signed (%s)", t.Format(time.DateOnly))
	}
	if e.PrimaryKey.KeyExpired(best, t) || best.SigExpired(t) {
		return fmt.Errorf("the signing key had expired when the release was signed (%s)", t.Format(time.DateOnly))
	}
	return nil
}

func signatureTime(armored []byte) (time.Time, error) {
	block, err := armor.Decode(bytes.NewReader(armored))
	if err != nil {
		return time.Time{}, fmt.Errorf("not an armored signature: %w", err)
	}
	p, err := packet.Read(block.Body)
	if err != nil {
		return time.Time{}, fmt.Errorf("reading signature: %w", err)
	}
	sig, ok := p.(*packet.Signature)
	if !ok {
		return time.Time{}, fmt.Errorf("first packet is %T, not a signature", p)
	}
	return sig.CreationTime, nil
}

func fpr(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) }
