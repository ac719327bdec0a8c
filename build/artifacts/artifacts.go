// Package artifacts fetches the libraries a CI run of ci.yml uploaded (one
// artifact per target, mongoose-ffi-<os>_<arch>, holding out/<os>_<arch>/)
// through the GitHub REST API, and installs each into out/ only once it has
// been unpacked safely and verified.
package artifacts

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v89/github"

	"github.com/mongoose-ffi/mongoose-ffi/build/download"
	"github.com/mongoose-ffi/mongoose-ffi/build/git"
	"github.com/mongoose-ffi/mongoose-ffi/build/prebuilt"
	"github.com/mongoose-ffi/mongoose-ffi/build/target"
)

// Environment read by FromEnv (MONGOOSE_FFI_TARGETS is read by the caller).
const (
	RunEnv     = "MONGOOSE_FFI_RUN"  // a run id; default: the branch's latest successful run
	RepoEnv    = "MONGOOSE_FFI_REPO" // owner/name; default: from `git remote get-url origin`
	APIEnv     = "GITHUB_API_URL"    // as in Actions; GitHub Enterprise's too
	DefaultAPI = "https://api.github.com"
	Workflow   = "ci.yml"
	// Prefix names each target's artifact: mongoose-ffi-linux_amd64.
	Prefix = "mongoose-ffi-"
)

// maxZip bounds a download and what it unpacks to: a library and its
// companions are a few MB.
const maxZip = 256 << 20

// Options say what to fetch and where to put it.
type Options struct {
	Owner, Repo string
	Branch      string // used when RunID is 0
	RunID       int64
	Token       string
	APIURL      string
	Targets     []target.Target
	OutRoot     string        // out/
	Pins        prebuilt.Pins // what this checkout's libraries must be built from
	Log         io.Writer
	HTTP        *http.Client // for the zip downloads (no token is sent there); nil: a default
}

// Result is one installed library.
type Result struct {
	RunID  int64
	Commit string
	Target target.Target
	Path   string
	SHA256 string
}

// FromEnv fills the repository, branch, run, token and API URL from the
// environment, git and gh, saying what to do when one is missing.
func FromEnv(ctx context.Context) (Options, error) {
	var o Options
	o.APIURL = strings.TrimSpace(os.Getenv(APIEnv))
	if o.APIURL == "" {
		o.APIURL = DefaultAPI
	}
	repo := strings.TrimSpace(os.Getenv(RepoEnv))
	if repo == "" {
		url, err := git.Run(ctx, "", "remote", "get-url", "origin")
		if err != nil {
			return o, fmt.Errorf("no repository: `git remote get-url origin` failed (%w); set %s=owner/name", err, RepoEnv)
		}
		if repo = RepoFromRemote(url); repo == "" {
			return o, fmt.Errorf("cannot read owner/name from origin %q; set %s=owner/name", url, RepoEnv)
		}
	}
	owner, name, ok := strings.Cut(repo, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return o, fmt.Errorf("%s=%q: want owner/name, e.g. mongoose-ffi/mongoose-ffi", RepoEnv, repo)
	}
	o.Owner, o.Repo = owner, name
	if s := strings.TrimSpace(os.Getenv(RunEnv)); s != "" {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return o, fmt.Errorf("%s=%q: want a run id, the number in the run's URL (.../actions/runs/<id>)", RunEnv, s)
		}
		o.RunID = id
	} else {
		b, err := git.Run(ctx, "", "rev-parse", "--abbrev-ref", "HEAD")
		if err != nil || b == "HEAD" {
			return o, fmt.Errorf("no current branch (detached HEAD or no git: %v): set %s=<run id> to pick a run", err, RunEnv)
		}
		o.Branch = b
	}
	o.Token = Token(ctx)
	if o.Token == "" {
		return o, errors.New("no GitHub token: set GITHUB_TOKEN or GH_TOKEN to a token that can read the repository's Actions " +
			"(a fine-grained token with Actions: read, or a classic one with repo scope for a private repository), or log in with `gh auth login`")
	}
	return o, nil
}

// Token is GITHUB_TOKEN, else GH_TOKEN, else what `gh auth token` prints.
func Token(ctx context.Context) string {
	for _, k := range []string{"GITHUB_TOKEN", "GH_TOKEN"} {
		if v := strings.TrimSpace(os.Getenv(k)); v != "" {
			return v
		}
	}
	if _, err := exec.LookPath("gh"); err != nil {
		return ""
	}
	out, err := exec.CommandContext(ctx, "gh", "auth", "token").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// RepoFromRemote reads owner/name from a git remote URL: https, ssh or scp form.
func RepoFromRemote(url string) string {
	u := strings.TrimSuffix(strings.TrimSpace(url), "/")
	u = strings.TrimSuffix(u, ".git")
	if i := strings.Index(u, "://"); i >= 0 {
		u = u[i+3:]
		if j := strings.Index(u, "/"); j >= 0 {
			u = u[j+1:]
		} else {
			return ""
		}
	} else if i := strings.Index(u, ":"); i >= 0 {
		u = u[i+1:] // git@github.com:owner/name
	} else {
		return ""
	}
	parts := strings.Split(u, "/")
	if len(parts) < 2 || parts[len(parts)-2] == "" || parts[len(parts)-1] == "" {
		return ""
	}
	return parts[len(parts)-2] + "/" + parts[len(parts)-1]
}

// Download fetches o.Targets' libraries from the run into o.OutRoot.
func Download(ctx context.Context, o Options) ([]Result, error) {
	base := strings.TrimSuffix(o.APIURL, "/") + "/"
	gh, err := github.NewClient(github.WithAuthToken(o.Token), github.WithURLs(&base, nil),
		github.WithUserAgent("mongoose-ffi-artifacts"), github.WithTimeout(2*time.Minute))
	if err != nil {
		return nil, fmt.Errorf("%s=%q: %w", APIEnv, o.APIURL, err)
	}
	repo := o.Owner + "/" + o.Repo
	run, err := o.findRun(ctx, gh)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(o.Log, "run %d of %s (%s, %s, commit %s): %s\n", run.GetID(), repo, run.GetHeadBranch(), run.GetConclusion(), run.GetHeadSHA(), run.GetHTMLURL())
	byName := map[string]*github.Artifact{}
	opts := &github.ListOptions{PerPage: 100}
	for {
		page, resp, err := gh.Actions.ListWorkflowRunArtifacts(ctx, o.Owner, o.Repo, run.GetID(), opts)
		if err != nil {
			return nil, apiError(err, repo, fmt.Sprintf("listing the artifacts of run %d", run.GetID()))
		}
		for _, a := range page.Artifacts {
			byName[a.GetName()] = a
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	var results []Result
	for _, t := range o.Targets {
		name := Prefix + t.Dir()
		a := byName[name]
		if a == nil {
			return results, fmt.Errorf("run %d has no artifact %s (it has %s): its build job failed or was cancelled, or it predates the target; pick another run with %s=<run id>",
				run.GetID(), name, names(byName), RunEnv)
		}
		if a.GetExpired() {
			return results, fmt.Errorf("artifact %s of run %d has expired (%s): re-run the workflow on GitHub, or pick a newer run with %s=<run id>",
				name, run.GetID(), a.GetExpiresAt().Format(time.DateOnly), RunEnv)
		}
		r, err := o.install(ctx, gh, run, a, t)
		if err != nil {
			return results, err
		}
		fmt.Fprintf(o.Log, "run %d  commit %.12s  %-13s  %s  sha256 %s\n", r.RunID, r.Commit, t, r.Path, r.SHA256)
		results = append(results, r)
	}
	return results, nil
}

// findRun is o.RunID's run, or the branch's latest successful ci.yml run.
func (o *Options) findRun(ctx context.Context, gh *github.Client) (*github.WorkflowRun, error) {
	repo := o.Owner + "/" + o.Repo
	if o.RunID != 0 {
		run, _, err := gh.Actions.GetWorkflowRunByID(ctx, o.Owner, o.Repo, o.RunID)
		if err != nil {
			return nil, apiError(err, repo, fmt.Sprintf("reading run %d (%s)", o.RunID, RunEnv))
		}
		if hr := run.GetHeadRepository().GetFullName(); hr != "" && hr != repo {
			fmt.Fprintf(o.Log, "note: run %d built %s's code (a pull request from a fork), not %s's\n", o.RunID, hr, repo)
		}
		if c := run.GetConclusion(); c != "success" {
			fmt.Fprintf(o.Log, "note: run %d's conclusion is %q: its libraries are used if its build job uploaded them\n", o.RunID, c)
		}
		return run, nil
	}
	// Newest first. A pull request's run builds a merge commit, and one
	// from a fork can carry the same branch name with the fork's code: only
	// runs of this repository's branch itself count (push, dispatch, ...).
	opts := &github.ListWorkflowRunsOptions{Branch: o.Branch, Status: "success", ListOptions: github.ListOptions{PerPage: 50}}
	for pages := 0; pages < maxRunPages; pages++ {
		runs, resp, err := gh.Actions.ListWorkflowRunsByFileName(ctx, o.Owner, o.Repo, Workflow, opts)
		if err != nil {
			return nil, apiError(err, repo, "listing the runs of "+Workflow)
		}
		for _, run := range runs.WorkflowRuns {
			hr := run.GetHeadRepository().GetFullName()
			if !strings.HasPrefix(run.GetEvent(), "pull_request") && (hr == "" || strings.EqualFold(hr, repo)) {
				return run, nil
			}
		}
		if resp.NextPage == 0 {
			break
		}
		opts.Page = resp.NextPage
	}
	return nil, fmt.Errorf("%s has no successful %s run of branch %s (pull request runs do not count): push it and wait for CI to pass, or pick a run with %s=<run id>",
		repo, Workflow, o.Branch, RunEnv)
}

// maxRunPages bounds the search for a branch's run.
const maxRunPages = 10

// install downloads an artifact's zip, unpacks it into a temporary
// directory beside out/<os>_<arch>/, verifies it, then swaps it in.
func (o *Options) install(ctx context.Context, gh *github.Client, run *github.WorkflowRun, a *github.Artifact, t target.Target) (Result, error) {
	repo := o.Owner + "/" + o.Repo
	u, resp, err := gh.Actions.DownloadArtifact(ctx, o.Owner, o.Repo, a.GetID(), 0)
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusGone {
			return Result{}, fmt.Errorf("artifact %s of run %d has expired (410 Gone): re-run the workflow, or pick a newer run with %s=<run id>", a.GetName(), run.GetID(), RunEnv)
		}
		if resp != nil && resp.StatusCode != http.StatusFound {
			err = &github.ErrorResponse{Response: resp.Response, Message: http.StatusText(resp.StatusCode)}
		}
		return Result{}, apiError(err, repo, "downloading artifact "+a.GetName())
	}
	if err := os.MkdirAll(o.OutRoot, 0o755); err != nil {
		return Result{}, err
	}
	tmp, err := os.MkdirTemp(o.OutRoot, ".download-"+t.Dir()+"-")
	if err != nil {
		return Result{}, err
	}
	// A failed download leaves nothing in out/; MkdirTemp's 0700 must not stay.
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil {
		return Result{}, err
	}
	zipPath := tmp + ".zip"
	defer os.Remove(zipPath)
	if err := o.fetch(ctx, u.String(), zipPath); err != nil {
		return Result{}, fmt.Errorf("downloading artifact %s: %w", a.GetName(), err)
	}
	if err := Unzip(zipPath, tmp); err != nil {
		return Result{}, fmt.Errorf("artifact %s of run %d: %w", a.GetName(), run.GetID(), err)
	}
	if !prebuilt.Present(tmp, t) {
		return Result{}, fmt.Errorf("artifact %s of run %d is not what CI uploads: it lacks %s or %s at its top (want out/%s/ as the build job leaves it)",
			a.GetName(), run.GetID(), t.Library, prebuilt.ManifestFile, t.Dir())
	}
	os.Chmod(filepath.Join(tmp, t.Library), 0o755) // zips carry no mode
	lib, err := prebuilt.Check(tmp, t, o.Pins)
	if err != nil {
		return Result{}, fmt.Errorf("artifact %s of run %d: %w", a.GetName(), run.GetID(), err)
	}
	dest := filepath.Join(o.OutRoot, t.Dir())
	if err := replaceDir(tmp, dest); err != nil {
		return Result{}, err
	}
	return Result{RunID: run.GetID(), Commit: run.GetHeadSHA(), Target: t, Path: filepath.Join(dest, t.Library), SHA256: lib.SHA256}, nil
}

// fetch GETs the zip's signed URL with no token (it is another host).
func (o *Options) fetch(ctx context.Context, url, dest string) error {
	c := o.HTTP
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Minute}
	}
	err := download.Get(ctx, c, url, dest, maxZip, nil)
	var se *download.StatusError
	if errors.As(err, &se) {
		return fmt.Errorf("%s from the artifact's download URL (signed URLs last a minute: run again)", se.Status)
	}
	if errors.Is(err, download.ErrTooLarge) {
		return fmt.Errorf("%w: not what CI uploads", err)
	}
	return err
}

// Unzip unpacks a zip into dir, refusing any entry that would land outside
// it (absolute, .., a drive or a backslash path) or is not a plain file or
// directory, and bounding what it writes.
func Unzip(zipPath, dir string) error {
	zr, err := zip.OpenReader(zipPath)
	if err != nil {
		return fmt.Errorf("not a zip archive (%w): not what CI uploads", err)
	}
	defer zr.Close()
	var total int64
	for _, f := range zr.File {
		name := f.Name
		clean := strings.TrimSuffix(name, "/")
		if strings.ContainsAny(name, `\:`) || !filepath.IsLocal(filepath.FromSlash(clean)) || path.Clean(clean) != clean {
			return fmt.Errorf("zip entry %q escapes its directory: refused, nothing was installed", name)
		}
		mode := f.Mode()
		switch {
		case mode.IsDir():
			if err := os.MkdirAll(filepath.Join(dir, filepath.FromSlash(clean)), 0o755); err != nil {
				return err
			}
			continue
		case !mode.IsRegular():
			return fmt.Errorf("zip entry %q is a %s, not a file: refused, nothing was installed", name, mode.Type())
		}
		dest := filepath.Join(dir, filepath.FromSlash(clean))
		if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
			return err
		}
		rc, err := f.Open()
		if err != nil {
			return fmt.Errorf("zip entry %q: %w", name, err)
		}
		out, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			rc.Close()
			return fmt.Errorf("zip entry %q: %w", name, err)
		}
		n, err := io.Copy(out, io.LimitReader(rc, maxZip-total+1))
		rc.Close()
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("zip entry %q: %w", name, err)
		}
		if total += n; total > maxZip {
			return fmt.Errorf("unpacks to more than %d MB: not what CI uploads", maxZip>>20)
		}
	}
	return nil
}

// replaceDir puts src in dest's place, moving the old dest aside first so
// that a failure leaves one or the other whole.
func replaceDir(src, dest string) error {
	old := ""
	if _, err := os.Stat(dest); err == nil {
		old = src + ".old"
		if err := os.Rename(dest, old); err != nil {
			return fmt.Errorf("moving the old %s aside: %w", dest, err)
		}
	}
	if err := os.Rename(src, dest); err != nil {
		if old != "" {
			os.Rename(old, dest)
		}
		return fmt.Errorf("installing %s: %w", dest, err)
	}
	if old != "" {
		return os.RemoveAll(old)
	}
	return nil
}

// apiError turns an API failure into what to do about it.
func apiError(err error, repo, doing string) error {
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		msg := er.Message
		switch er.Response.StatusCode {
		case http.StatusUnauthorized:
			return fmt.Errorf("%s: GitHub refused the token (401 %s): it is wrong, expired or revoked; set GITHUB_TOKEN or GH_TOKEN to a valid one (`gh auth token`)", doing, msg)
		case http.StatusForbidden:
			return fmt.Errorf("%s: the token may not read %s's Actions (403 %s): give it Actions: read (repo scope for a private repository), or wait out a rate limit", doing, repo, msg)
		case http.StatusNotFound:
			return fmt.Errorf("%s: not found (404 %s): check that %s exists (%s, or origin) with %s, and that the token can see it", doing, msg, repo, RepoEnv, Workflow)
		}
	}
	var rl *github.RateLimitError
	if errors.As(err, &rl) {
		return fmt.Errorf("%s: GitHub's rate limit is exhausted until %s: wait, or use a token", doing, rl.Rate.Reset.Format(time.TimeOnly))
	}
	return fmt.Errorf("%s in %s: %w", doing, repo, err)
}

func names(m map[string]*github.Artifact) string {
	if len(m) == 0 {
		return "none"
	}
	var s []string
	for n := range m {
		s = append(s, n)
	}
	slices.Sort(s)
	return strings.Join(s, ", ")
}
