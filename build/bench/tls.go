package bench

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"time"

	"github.com/mongoose-ffi/mongoose-ffi/build/testpki"
)

// The servers listen with TLS when these name a PEM certificate and key.
const (
	EnvTLSCert = "MONGOOSE_FFI_BENCH_TLS_CERT"
	EnvTLSKey  = "MONGOOSE_FFI_BENCH_TLS_KEY"
)

// tlsFiles writes a P-256 certificate for 127.0.0.1 and its key into dir
// and returns the environment that hands them to a server.
func tlsFiles(dir string) ([]string, error) {
	certPEM, keyPEM, err := testpki.SelfSigned(testpki.Leaf{Names: []string{"127.0.0.1"}, Usage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	if err != nil {
		return nil, err
	}
	cert, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(cert, certPEM, 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		return nil, err
	}
	return []string{EnvTLSCert + "=" + cert, EnvTLSKey + "=" + keyFile}, nil
}

// tlsLoad opens a new TLS connection per request, as a browser meeting a
// site for the first time does (full handshake), or with a session cache
// (resumed: a returning client). Every server meets the same Go client.
func tlsLoad(resume bool) func(ctx context.Context, addr string, done func()) error {
	return func(ctx context.Context, addr string, done func()) error {
		cfg := &tls.Config{InsecureSkipVerify: true} // the bench's own server, on loopback
		if resume {
			cfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
		}
		req := []byte("GET / HTTP/1.1\r\nHost: bench\r\n\r\n")
		d := &tls.Dialer{Config: cfg}
		for ctx.Err() == nil {
			c, err := d.DialContext(ctx, "tcp", addr)
			if err != nil {
				// The dial's own deadline can fire a moment before ctx says
				// it is done: that is the end of the run, not a failure.
				if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl.Add(-100*time.Millisecond)) {
					return nil
				}
				return err
			}
			err = oneRequest(c.(*tls.Conn), req)
			c.Close()
			if err != nil {
				return err
			}
			if resume && !c.(*tls.Conn).ConnectionState().DidResume {
				// The first connection of each client is a full one.
				continue
			}
			done()
		}
		return nil
	}
}

// oneRequest sends req and reads one response by its Content-Length.
func oneRequest(c *tls.Conn, req []byte) error {
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write(req); err != nil {
		return err
	}
	return readResponse(bufio.NewReader(c))
}
