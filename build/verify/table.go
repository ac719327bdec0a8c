package verify

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// PrintTable writes one row per report, then the details of any failure.
func PrintTable(w io.Writer, reports []*Report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TARGET\tFORMAT\tSIZE\tEXPORTS\tMISSING\tOPENSSL LEAKS\tIMPORTS\tFOREIGN\tRESULT")
	for _, r := range reports {
		verdict := "ok"
		if !r.OK() {
			verdict = "FAIL"
		}
		fmt.Fprintf(tw, "%s\t%s %s\t%.2f MB\t%d/%d\t%d\t%d\t%d\t%d\t%s\n", r.Target, r.Format, r.Arch,
			float64(r.Size)/1e6, r.Expected-len(r.Missing), r.Expected, len(r.Missing), len(r.Leaked),
			len(r.Imports), len(r.Foreign), verdict)
	}
	tw.Flush()
	for _, r := range reports {
		for _, p := range []struct {
			what  string
			items []string
		}{{"wrong format", r.Problems}, {"missing exports", r.Missing}, {"OpenSSL symbols exported", r.Leaked}, {"libraries outside the allowlist", r.Foreign}} {
			if len(p.items) > 0 {
				fmt.Fprintf(w, "%s: %s (%d): %s\n", r.Path, p.what, len(p.items), strings.Join(p.items, ", "))
			}
		}
	}
}
