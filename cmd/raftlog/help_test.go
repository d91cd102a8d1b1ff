package main

import (
	"flag"
	"strings"
	"testing"
)

// TestHelp: every command answers -h with its usage on stdout and status 0,
// the usage names every flag the command accepts, and "raftlog help CMD"
// prints the same.
func TestHelp(t *testing.T) {
	for _, c := range commands() {
		t.Run(c.name, func(t *testing.T) {
			args := append(strings.Fields(c.name), "-h")
			r := runCLI(t, args...)
			r.wantCode(t, exitOK, "raftlog "+strings.Join(args, " "))
			if !strings.HasPrefix(r.stdout, "usage: raftlog "+c.name) {
				t.Fatalf("-h output does not start with the usage line:\n%s", r.stdout)
			}
			fl, _ := c.flagSet()
			fl.VisitAll(func(f *flag.Flag) {
				if !strings.Contains(r.stdout, "\n  -"+f.Name+" ") && !strings.Contains(r.stdout, "\n  -"+f.Name+"\n") {
					t.Errorf("the usage does not name flag -%s:\n%s", f.Name, r.stdout)
				}
			})
			if r.stderr != "" {
				t.Errorf("-h wrote to stderr: %q", r.stderr)
			}
			h := runCLI(t, append([]string{"help"}, strings.Fields(c.name)...)...)
			h.wantCode(t, exitOK, "raftlog help "+c.name)
			if h.stdout != r.stdout {
				t.Errorf("raftlog help %s differs from -h:\n%s\nvs\n%s", c.name, h.stdout, r.stdout)
			}
		})
	}
}

// TestOverview: "raftlog help" lists every listed command; no command, an
// unknown one, or a group without its subcommand is a usage error.
func TestOverview(t *testing.T) {
	r := runCLI(t, "help")
	r.wantCode(t, exitOK, "raftlog help")
	for _, c := range commands() {
		if listed := strings.Contains(r.stdout, "\n  "+c.name+" "); listed == c.hidden {
			t.Errorf("command %q listed: %v, hidden: %v\n%s", c.name, listed, c.hidden, r.stdout)
		}
	}
	for _, args := range [][]string{{}, {"nosuch"}, {"bench"}, {"bench", "nosuch"}, {"help", "nosuch"}} {
		r := runCLI(t, args...)
		r.wantCode(t, exitUsage, "raftlog "+strings.Join(args, " "))
		if !strings.Contains(r.stderr, "usage: raftlog") {
			t.Errorf("raftlog %q: stderr has no usage:\n%s", args, r.stderr)
		}
	}
	r = runCLI(t, "bench", "-h")
	r.wantCode(t, exitOK, "raftlog bench -h")
	if !strings.Contains(r.stdout, "bench append") || !strings.Contains(r.stdout, "bench open") {
		t.Errorf("raftlog bench -h does not list its subcommands:\n%s", r.stdout)
	}
}

// TestUsageErrors: wrong arguments exit 2 and point at -h, without touching
// anything.
func TestUsageErrors(t *testing.T) {
	dir := makeLog(t)
	for _, args := range [][]string{
		{"dump"},
		{"dump", dir, dir},
		{"dump", "--payload=base64", dir},
		{"dump", "--from=5", "--to=3", dir},
		{"dump", "--to=0", dir},
		{"dump", "--records", "--json", dir},
		{"dump", "--nosuch", dir},
		{"stat"},
		{"sim", "extra"},
		{"sim", "-j", "0"},
		{"bench", "open"},
	} {
		r := runCLI(t, args...)
		r.wantCode(t, exitUsage, "raftlog "+strings.Join(args, " "))
		if !strings.Contains(r.stderr, "-h' for usage") || r.stdout != "" {
			t.Errorf("raftlog %q: stdout %q, stderr %q; want only an error pointing at -h", args, r.stdout, r.stderr)
		}
	}
}
