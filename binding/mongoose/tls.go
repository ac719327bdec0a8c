package mongoose

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"unsafe"
)

// cTLSInfo is struct mg_ffi_tls_info.
type cTLSInfo struct {
	version, cipher uint32
	resumed, ncerts uint32
	alpn, sni       cStr
	certs           *cStr
}

// TLSInfo is what a TLS connection negotiated.
type TLSInfo struct {
	Version            uint16 // tls.VersionTLS12 or tls.VersionTLS13
	CipherSuite        uint16 // the IANA id, as crypto/tls names them
	NegotiatedProtocol string // ALPN, e.g. "http/1.1", or ""
	ServerName         string // SNI: what the client asked for
	DidResume          bool
	PeerCertificates   [][]byte // DER, the leaf first
}

// TLSInfo returns the TLS details of a connection whose handshake is done:
// from an event on it (EvHTTPMsg, EvRead, EvWSMsg...) onward.
func (mgr *Manager) TLSInfo(id uint64) (*TLSInfo, error) {
	var c cTLSInfo
	if err := mgr.call("TLS info", id, func() int32 { return mgr.lib.funcs.tlsInfo(mgr.m, id, &c) }); err != nil {
		return nil, err
	}
	info := &TLSInfo{Version: uint16(c.version), CipherSuite: uint16(c.cipher), DidResume: c.resumed != 0,
		NegotiatedProtocol: goString(c.alpn), ServerName: goString(c.sni)}
	if c.ncerts > 0 {
		for _, s := range unsafe.Slice(c.certs, c.ncerts) {
			info.PeerCertificates = append(info.PeerCertificates, []byte(goString(s)))
		}
	}
	return info, nil
}

// ConnectionState is the info as crypto/tls describes a connection, with
// the peer's certificates parsed (net/http's Request.TLS and Response.TLS).
func (i *TLSInfo) ConnectionState() (*tls.ConnectionState, error) {
	st := &tls.ConnectionState{Version: i.Version, CipherSuite: i.CipherSuite, HandshakeComplete: true,
		DidResume: i.DidResume, NegotiatedProtocol: i.NegotiatedProtocol, ServerName: i.ServerName}
	for _, der := range i.PeerCertificates {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return st, fmt.Errorf("mongoose: peer certificate: %w", err)
		}
		st.PeerCertificates = append(st.PeerCertificates, c)
	}
	return st, nil
}

// goString copies a C string of the library.
func goString(s cStr) string {
	if s.len == 0 {
		return ""
	}
	return string(unsafe.Slice(s.ptr, s.len))
}

// tlsStates are the connections' TLS states for the net/http adapter, made
// once per connection (the peer's certificates parsed once) and copied into
// each request, as net/http does.
type tlsStates map[uint64]*tls.ConnectionState

func (s tlsStates) get(mgr *Manager, id uint64) *tls.ConnectionState {
	st, ok := s[id]
	if !ok {
		st = &tls.ConnectionState{HandshakeComplete: true}
		if info, err := mgr.TLSInfo(id); err == nil {
			if full, err := info.ConnectionState(); err == nil {
				st = full
			}
		}
		s[id] = st
	}
	c := *st
	return &c
}
