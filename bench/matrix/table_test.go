package matrix

import (
	"strings"
	"testing"
)

func TestMarkdownKeepsCellsAsGiven(t *testing.T) {
	var b strings.Builder
	err := markdown(&b, []string{"row", "entries/s"}, [][]string{{"128 B, 1 entry per durable append", "12,345 ±3%"}})
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("want header, rule and one row, got:\n%s", b.String())
	}
	for _, want := range []string{"| row ", "entries/s |"} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("header %q lacks %q", lines[0], want)
		}
	}
	if !strings.HasPrefix(lines[1], "|:-") || !strings.HasSuffix(lines[1], "-:|") {
		t.Errorf("rule %q: want the first column left-aligned and the others right-aligned", lines[1])
	}
	if !strings.Contains(lines[2], "128 B, 1 entry per durable append") || !strings.Contains(lines[2], "12,345 ±3%") {
		t.Errorf("row %q: cells changed", lines[2])
	}
}
