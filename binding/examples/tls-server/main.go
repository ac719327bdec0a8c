// Command tls-server serves HTTPS and a WebSocket echo over TLS (wss://).
// Without -cert and -key it makes a self-signed certificate for localhost.
//
//	MONGOOSE_LIBRARY=/path/to/mongoose.so go run ./examples/tls-server
//	curl -k https://127.0.0.1:8443/
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"flag"
	"log"
	"math/big"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/mongoose-ffi/mongoose-ffi/binding/mongoose"
)

func main() {
	addr := flag.String("listen", "https://127.0.0.1:8443", "URL to listen on")
	certFile := flag.String("cert", "", "PEM certificate (default: self-signed)")
	keyFile := flag.String("key", "", "PEM private key")
	lib := flag.String("lib", "", "the mongoose library (default: $MONGOOSE_LIBRARY, then the search path)")
	flag.Parse()
	cert, key, err := credentials(*certFile, *keyFile)
	if err != nil {
		log.Fatal(err)
	}
	l, err := mongoose.Open(*lib)
	if err != nil {
		log.Fatal(err)
	}
	mgr, err := l.NewManager()
	if err != nil {
		log.Fatal(err)
	}
	defer mgr.Close()
	if _, err := mgr.Listen(mongoose.HTTP, *addr, &mongoose.TLS{Cert: cert, Key: key}); err != nil {
		log.Fatal(err)
	}
	log.Printf("tls-server on %s with %s", *addr, l.OpenSSLVersion)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	mgr.Run(ctx, func(e *mongoose.Event) {
		switch e.Type {
		case mongoose.EvHTTPMsg:
			if e.URI == "/ws" {
				mgr.Upgrade(e.ID, "")
			} else {
				mgr.Reply(e.ID, 200, "Content-Type: text/plain\r\n", []byte("hello over TLS\n"))
			}
		case mongoose.EvWSMsg:
			mgr.SendWS(e.ID, e.Body, e.Status)
		}
	})
}

func credentials(certFile, keyFile string) (cert, key []byte, err error) {
	if certFile != "" || keyFile != "" {
		if cert, err = os.ReadFile(certFile); err == nil {
			key, err = os.ReadFile(keyFile)
		}
		return cert, key, err
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(30 * 24 * time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		return nil, nil, err
	}
	kder, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		return nil, nil, err
	}
	log.Print("using a self-signed certificate for localhost")
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), nil
}
