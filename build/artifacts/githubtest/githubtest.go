// Package githubtest is a stand-in for the GitHub REST API's Actions
// endpoints that artifacts:download uses, answering with the real API's
// JSON shapes, Link-header pagination and the 302 to blob storage.
package githubtest

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// Token is the one token the server accepts; others get 401.
const Token = "ghp_test"

// Server answers like api.github.com for one repository, o/r: runs of
// ci.yml, a run's artifacts two per page (Link headers), and each zip as a
// 302 to a second server standing in for blob storage, which must never see
// the Token.
type Server struct {
	T         testing.TB
	API, Blob *httptest.Server
	runs      []map[string]any
	artifacts []map[string]any
	zips      map[int64][]byte
	Expired   map[int64]bool
	BlobAuth  []string // Authorization headers the blob server saw
}

// New starts the API and blob servers; they stop when the test ends.
func New(t testing.TB) *Server {
	f := &Server{T: t, zips: map[int64][]byte{}, Expired: map[int64]bool{}}
	f.Blob = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.BlobAuth = append(f.BlobAuth, r.Header.Get("Authorization"))
		id, _ := strconv.ParseInt(strings.TrimPrefix(r.URL.Path, "/blob/"), 10, 64)
		w.Header().Set("Content-Type", "application/zip")
		w.Write(f.zips[id])
	}))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /repos/o/r/actions/workflows/ci.yml/runs", func(w http.ResponseWriter, r *http.Request) {
		var runs []map[string]any
		for _, run := range f.runs {
			q := r.URL.Query()
			if run["head_branch"] == q.Get("branch") && (q.Get("status") != "success" || run["conclusion"] == "success") &&
				(q.Get("event") == "" || run["event"] == q.Get("event")) {
				runs = append(runs, run)
			}
		}
		lo, hi := paginate(w, r, len(runs))
		writeJSON(w, map[string]any{"total_count": len(runs), "workflow_runs": runs[lo:hi]})
	})
	mux.HandleFunc("GET /repos/o/r/actions/runs/{id}", func(w http.ResponseWriter, r *http.Request) {
		for _, run := range f.runs {
			if fmt.Sprint(run["id"]) == r.PathValue("id") {
				writeJSON(w, run)
				return
			}
		}
		w.WriteHeader(http.StatusNotFound)
		writeJSON(w, map[string]any{"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"})
	})
	mux.HandleFunc("GET /repos/o/r/actions/runs/{id}/artifacts", func(w http.ResponseWriter, r *http.Request) {
		lo, hi := paginate(w, r, len(f.artifacts))
		writeJSON(w, map[string]any{"total_count": len(f.artifacts), "artifacts": f.artifacts[lo:hi]})
	})
	mux.HandleFunc("GET /repos/o/r/actions/artifacts/{id}/zip", func(w http.ResponseWriter, r *http.Request) {
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if f.Expired[id] {
			w.WriteHeader(http.StatusGone)
			writeJSON(w, map[string]any{"message": "Artifact has expired", "documentation_url": "https://docs.github.com/rest/actions/artifacts#download-an-artifact", "status": "410"})
			return
		}
		http.Redirect(w, r, f.Blob.URL+"/blob/"+r.PathValue("id")+"?sig=signed", http.StatusFound)
	})
	f.API = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+Token {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.WriteHeader(http.StatusUnauthorized)
			writeJSON(w, map[string]any{"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"})
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { f.API.Close(); f.Blob.Close() })
	return f
}

// paginate serves n items two per page, whatever per_page asks (the real
// API caps it too), with the Link header GitHub sends; it returns the
// page's bounds.
func paginate(w http.ResponseWriter, r *http.Request, n int) (lo, hi int) {
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	if page == 0 {
		page = 1
	}
	const per = 2
	last := max((n+per-1)/per, 1)
	if page < last {
		u := "http://" + r.Host + r.URL.Path
		q := r.URL.Query()
		q.Set("per_page", strconv.Itoa(per))
		link := func(p int) string { q.Set("page", strconv.Itoa(p)); return u + "?" + q.Encode() }
		w.Header().Set("Link", fmt.Sprintf(`<%s>; rel="next", <%s>; rel="last"`, link(page+1), link(last)))
	}
	return min((page-1)*per, n), min(page*per, n)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(v)
}

// AddRun adds a completed ci.yml run.
func (f *Server) AddRun(id int64, branch, conclusion, sha string) {
	f.runs = append(f.runs, map[string]any{"id": id, "name": "ci", "head_branch": branch, "head_sha": sha,
		"path": ".github/workflows/ci.yml", "event": "push", "status": "completed", "conclusion": conclusion, "workflow_id": 7,
		"html_url": fmt.Sprintf("https://github.com/o/r/actions/runs/%d", id), "created_at": "2026-11-25T10:00:00Z",
		"repository":      map[string]any{"id": 1, "full_name": "o/r", "name": "r", "owner": map[string]any{"login": "o"}},
		"head_repository": map[string]any{"id": 1, "full_name": "o/r", "name": "r", "owner": map[string]any{"login": "o"}}})
}

// AddPullRequestRun adds a successful run of a pull request whose branch
// has that name, from a fork (fork/r) or from this repository.
func (f *Server) AddPullRequestRun(id int64, branch string, fork bool) {
	f.AddRun(id, branch, "success", "f0f0f0")
	run := f.runs[len(f.runs)-1]
	run["event"] = "pull_request"
	if fork {
		run["head_repository"] = map[string]any{"id": 2, "full_name": "fork/r", "name": "r", "owner": map[string]any{"login": "fork"}}
	}
}

// AddArtifact adds an artifact whose download is zip.
func (f *Server) AddArtifact(id int64, name string, zip []byte, expired bool) {
	f.artifacts = append(f.artifacts, map[string]any{"id": id, "node_id": "MDg6QXJ0aWZhY3Qx", "name": name, "size_in_bytes": len(zip),
		"url":                  fmt.Sprintf("%s/repos/o/r/actions/artifacts/%d", f.API.URL, id),
		"archive_download_url": fmt.Sprintf("%s/repos/o/r/actions/artifacts/%d/zip", f.API.URL, id),
		"expired":              expired, "created_at": "2026-11-25T10:05:00Z", "expires_at": "2027-02-23T10:05:00Z",
		"workflow_run": map[string]any{"id": 900, "head_branch": "main", "head_sha": "c0ffee"}})
	f.zips[id], f.Expired[id] = zip, expired
}

// Zip makes a zip archive of files, named by their slash paths.
func Zip(t testing.TB, files map[string][]byte) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, data := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	zw.Close()
	return b.Bytes()
}
