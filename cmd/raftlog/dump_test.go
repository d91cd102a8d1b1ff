package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// requireGolden compares got with testdata/name, or rewrites the file with
// -update (then review the diff).
func requireGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s (run with -update to create it): %v", path, err)
	}
	if string(want) != got {
		t.Fatalf("output differs from %s (rerun with -update if intended):\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// TestDumpGolden: dump's text and JSON output, payload forms and index
// filter, on a healthy log: status 0 and nothing on stderr.
func TestDumpGolden(t *testing.T) {
	dir := makeLog(t)
	for _, c := range []struct {
		golden string
		args   []string
	}{
		{"dump.txt", nil},
		{"dump_hex_from3_to6.txt", []string{"--payload=hex", "--from=3", "--to=6"}},
		{"dump_len_from8.txt", []string{"--payload", "len", "--from", "8"}},
		{"dump.jsonl", []string{"--json"}},
		{"dump_hex.jsonl", []string{"--json", "--payload=hex", "--to=3"}},
		{"dump_len.jsonl", []string{"--json", "--payload=len", "--from=9"}},
	} {
		t.Run(c.golden, func(t *testing.T) {
			r := runCLI(t, append([]string{"dump", dir}, c.args...)...) // flags after DIR work too
			r.wantCode(t, exitOK, "dump")
			if r.stderr != "" {
				t.Fatalf("dump of a healthy log wrote to stderr: %s", r.stderr)
			}
			requireGolden(t, c.golden, r.stdout)
			if strings.HasSuffix(c.golden, ".jsonl") {
				sc := bufio.NewScanner(strings.NewReader(r.stdout))
				for sc.Scan() {
					if !json.Valid(sc.Bytes()) {
						t.Fatalf("not one JSON object per line: %q", sc.Text())
					}
				}
			}
		})
	}
}

// TestDumpRecords: --records lists every chunk file and its records as on
// disk.
func TestDumpRecords(t *testing.T) {
	dir := makeLog(t)
	r := runCLI(t, "dump", "--records", dir)
	r.wantCode(t, exitOK, "dump --records")
	chunks, err := filepath.Glob(filepath.Join(dir, "*.wal"))
	if err != nil || len(chunks) < 2 {
		t.Fatalf("the test log has chunks %q (%v), want several", chunks, err)
	}
	for _, c := range chunks {
		if !strings.Contains(r.stdout, filepath.Base(c)+"\n") {
			t.Errorf("dump --records does not list %s:\n%s", filepath.Base(c), r.stdout)
		}
	}
	for _, want := range []string{"SaveVote({Term:2 NodeID:1 Committed:true})", `Append({Term:1 Index:1}, "set k1=v1")`, "Checkpoint("} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("dump --records has no %s:\n%s", want, r.stdout)
		}
	}
}
