package mongoose

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Run polls until ctx is done, handing every event to handle. It returns
// ctx's error, or the first poll error.
func (mgr *Manager) Run(ctx context.Context, handle func(*Event)) error {
	for ctx.Err() == nil {
		events, err := mgr.Poll(50 * time.Millisecond)
		if err != nil {
			return err
		}
		for i := range events {
			handle(&events[i])
		}
	}
	return ctx.Err()
}

// HTTPHandler adapts a net/http.Handler to mongoose: the returned function
// serves each EvHTTPMsg through h, synchronously on the polling goroutine
// (so a slow handler holds up every connection), and ignores other events.
// The ResponseWriter buffers the body and sends it with Content-Length when
// the handler returns; Flush switches to a chunked response. On TLS, r.TLS
// holds the connection's details (Manager.TLSInfo); hand the function every
// event, so that it forgets a connection's at its EvClose.
func (mgr *Manager) HTTPHandler(h http.Handler) func(*Event) {
	states := tlsStates{}
	return func(e *Event) {
		if e.Type == EvClose {
			delete(states, e.ID)
		}
		if e.Type != EvHTTPMsg || e.Flags&FlagClient != 0 {
			return
		}
		w := &responseWriter{mgr: mgr, id: e.ID, header: http.Header{}, head: e.Method == http.MethodHead}
		r, err := mgr.request(e, states)
		if err != nil {
			mgr.Reply(e.ID, http.StatusBadRequest, "Content-Type: text/plain\r\n", []byte(err.Error()+"\n"))
			return
		}
		if !serve(h, w, r) {
			// Like net/http: a panicking handler gets no normal response.
			if w.chunked {
				mgr.CloseConn(e.ID, true)
				return
			}
			w.header, w.status, w.wrote = http.Header{}, http.StatusInternalServerError, true
			w.body.Reset()
		}
		w.finish()
	}
}

// serve runs the handler, reporting false if it panicked.
func serve(h http.Handler, w http.ResponseWriter, r *http.Request) (ok bool) {
	defer func() {
		if v := recover(); v != nil {
			ok = false
		}
	}()
	h.ServeHTTP(w, r)
	return true
}

// request builds the *http.Request a handler sees.
func (mgr *Manager) request(e *Event, states tlsStates) (*http.Request, error) {
	target := e.URI
	if e.Query != "" {
		target += "?" + e.Query
	}
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return nil, fmt.Errorf("bad request target %q: %v", target, err)
	}
	major, minor, ok := http.ParseHTTPVersion(e.Proto)
	if !ok {
		major, minor = 1, 1
	}
	r := &http.Request{
		Method: e.Method, URL: u, Proto: e.Proto, ProtoMajor: major, ProtoMinor: minor,
		Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(e.Body)), ContentLength: int64(len(e.Body)),
		RemoteAddr: e.Remote, RequestURI: target,
	}
	for _, h := range e.Headers {
		r.Header.Add(h.Name, h.Value)
	}
	r.Host = r.Header.Get("Host")
	// As net/http: the glue closes after the response (Connection: close,
	// HTTP/1.0 without keep-alive), and the handler can tell.
	conn := strings.ToLower(r.Header.Get("Connection"))
	r.Close = strings.Contains(conn, "close") || (minor == 0 && major == 1 && !strings.Contains(conn, "keep-alive"))
	if e.Flags&FlagTLS != 0 {
		r.TLS = states.get(mgr, e.ID)
		u.Scheme = "https"
	}
	return r.WithContext(context.Background()), nil
}

type responseWriter struct {
	mgr     *Manager
	id      uint64
	header  http.Header
	status  int
	wrote   bool // WriteHeader happened
	chunked bool // Flush started a chunked response
	head    bool // answering HEAD: the library sends no body
	body    bytes.Buffer
	err     error
}

func (w *responseWriter) Header() http.Header { return w.header }

func (w *responseWriter) WriteHeader(status int) {
	if w.wrote {
		return
	}
	w.wrote, w.status = true, status
}

func (w *responseWriter) Write(b []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	if w.err != nil {
		return 0, w.err
	}
	if w.chunked {
		if len(b) > 0 {
			w.err = w.mgr.Chunk(w.id, b)
		}
		return len(b), w.err
	}
	return w.body.Write(b)
}

// Flush sends the status, headers and what is buffered as the first chunk
// of a chunked response.
func (w *responseWriter) Flush() {
	w.WriteHeader(http.StatusOK)
	if w.err != nil {
		return
	}
	if !w.chunked {
		w.chunked = true
		if w.err = w.mgr.ReplyChunked(w.id, w.status, w.headerBlock()); w.err != nil {
			return
		}
	}
	if w.body.Len() > 0 {
		w.err = w.mgr.Chunk(w.id, w.body.Bytes())
		w.body.Reset()
	}
}

func (w *responseWriter) finish() {
	w.WriteHeader(http.StatusOK)
	if w.chunked {
		w.Flush()
		w.mgr.Chunk(w.id, nil)
		return
	}
	w.mgr.Reply(w.id, w.status, w.headerBlock(), w.body.Bytes())
}

// headerBlock renders the headers as "Name: value\r\n" lines, leaving out
// the framing ones the library writes itself.
func (w *responseWriter) headerBlock() string {
	if w.header.Get("Content-Type") == "" && w.body.Len() > 0 {
		w.header.Set("Content-Type", http.DetectContentType(w.body.Bytes()))
	}
	var b strings.Builder
	names := make([]string, 0, len(w.header))
	for k := range w.header {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		// The library frames the body, except that a HEAD handler may state
		// the length a GET would get, as net/http lets it.
		if (k == "Content-Length" && !(w.head && w.body.Len() == 0 && !w.chunked)) || k == "Transfer-Encoding" {
			continue
		}
		for _, v := range w.header[k] {
			// A CR or LF in a value would split the response.
			b.WriteString(k + ": " + strings.NewReplacer("\r", " ", "\n", " ").Replace(v) + "\r\n")
		}
	}
	return b.String()
}

var _ http.Flusher = (*responseWriter)(nil)
