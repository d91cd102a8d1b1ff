package main

import (
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strconv"

	"github.com/raftlog/raftlog/fs"
	"github.com/raftlog/raftlog/raftlog"
)

var dumpCommand = &command{
	name:    "dump",
	args:    "DIR",
	nargs:   1,
	summary: "the log's state and entries, or its records as on disk",
	about: `
Prints the log in DIR as recovery would leave it: its state, then one line
per entry. Nothing is written and no lock is taken, so DIR may be held by a
live process (whose latest writes may be missing or cut). --records lists
every chunk file and record as they are on disk instead.

Text output: "state {Vote:... Last:...}", then "{Term:1 Index:2} PAYLOAD".
JSON output (--json): one object per line, {"state":{...}} first, then
{"id":{"term":1,"index":2},"payload":"..."} per entry (the payload key is
payload, payload_hex or payload_len after --payload).

Exit status 1 when the log is damaged: recovery would refuse it, or would
cut a torn tail from it.`,
	setup: func(fl *flag.FlagSet) func(*env, []string) error {
		var o dumpOptions
		fl.BoolVar(&o.json, "json", false, "print one JSON object per line")
		fl.Uint64Var(&o.from, "from", 0, "first index to print (default: the log's first)")
		fl.Uint64Var(&o.to, "to", 0, "print indexes below this one (default: all to the end)")
		fl.StringVar(&o.payload, "payload", "text", "payloads as `text` (quoted; in JSON, a string), hex, or len (their length)")
		fl.BoolVar(&o.records, "records", false, "list the chunk files and records as on disk (no --json, --from, --to or --payload)")
		return func(e *env, args []string) error {
			set := map[string]bool{}
			fl.Visit(func(f *flag.Flag) { set[f.Name] = true })
			if o.records && (set["json"] || set["from"] || set["to"] || set["payload"]) {
				return usagef("--records takes none of --json, --from, --to, --payload")
			}
			if set["to"] && o.to == 0 {
				return usagef("--to 0 selects no entry: it is the index after the last one to print")
			}
			return dump(e, args[0], o)
		}
	},
}

type dumpOptions struct {
	json     bool
	from, to uint64
	payload  string
	records  bool
}

func dump(e *env, dir string, o dumpOptions) error {
	render, ok := payloadRenderers[o.payload]
	if !ok {
		return usagef("--payload is text, hex or len, not %q", o.payload)
	}
	if o.to != 0 && o.to < o.from {
		return usagef("--to %d is below --from %d", o.to, o.from)
	}
	h, held := lockHolder(dir)
	if held && h.live() {
		fmt.Fprintf(e.stderr, "raftlog dump: %s is %s: this shows what is on disk now, and its newest writes may be missing or cut\n", dir, h)
	}
	l, rec, err := dryRunRecovery(dir)
	if err != nil {
		return err
	}
	if l != nil {
		defer l.Close()
	}
	switch {
	case o.records:
		if err := raftlog.DumpDir(fs.OS(), dir, raftlog.DefaultTypes, e.stdout); err != nil {
			return err
		}
	case l != nil:
		if err := dumpEntries(e.stdout, l, o, render); err != nil {
			return err
		}
	}
	if rec.damaged() {
		reportDamage(e.stderr, "dump", dir, rec, h, held)
		if !o.records && l == nil && !rec.noLog {
			fmt.Fprintf(e.stderr, "raftlog dump: 'raftlog dump --records %s' lists the records up to the damage\n", dir)
		}
		return errReported
	}
	return nil
}

// reportDamage says what recovery would do to the damaged log in dir, and,
// when a live process holds it, that the damage may be its writes in flight.
func reportDamage(w io.Writer, cmd, dir string, rec recovery, h holder, held bool) {
	switch {
	case rec.noLog:
		fmt.Fprintf(w, "raftlog %s: %v\n", cmd, errNoLog(dir))
		return
	case rec.Error != "":
		fmt.Fprintf(w, "raftlog %s: %s is damaged: recovery would refuse it: %s\n", cmd, dir, rec.Error)
	default:
		fmt.Fprintf(w, "raftlog %s: %s is damaged: recovery would cut %d bytes from its tail\n", cmd, dir, rec.CutBytes)
	}
	for _, r := range rec.lines() {
		fmt.Fprintf(w, "  recovery: %s\n", r)
	}
	if held && h.live() {
		fmt.Fprintf(w, "raftlog %s: %s is %s: writes in flight, or files changed while being read, look like damage; retry, or stop it first\n", cmd, dir, h)
	}
}

// payloadRenderer renders a payload for text and for JSON (key and value).
type payloadRenderer struct {
	text func(p []byte) string
	json func(p []byte) (string, any)
}

var payloadRenderers = map[string]payloadRenderer{
	"text": {
		text: func(p []byte) string { return strconv.Quote(string(p)) },
		json: func(p []byte) (string, any) { return "payload", string(p) },
	},
	"hex": {
		text: hex.EncodeToString,
		json: func(p []byte) (string, any) { return "payload_hex", hex.EncodeToString(p) },
	},
	"len": {
		text: func(p []byte) string { return strconv.Itoa(len(p)) },
		json: func(p []byte) (string, any) { return "payload_len", len(p) },
	},
}

// dumpEntries prints the state, then the entries in [from, to) that the log
// holds.
func dumpEntries(w io.Writer, l *raftlog.DefaultLog, o dumpOptions, render payloadRenderer) error {
	enc := json.NewEncoder(w)
	if o.json {
		if err := enc.Encode(map[string]any{"state": l.State()}); err != nil {
			return err
		}
	} else if _, err := fmt.Fprintf(w, "state %v\n", l.State()); err != nil {
		return err
	}
	st := l.Stat()
	from, to := max(o.from, st.First), st.End
	if o.to != 0 {
		to = min(o.to, st.End)
	}
	if from >= to {
		return nil
	}
	for en, err := range l.Read(from, to) {
		if err != nil {
			return err
		}
		if o.json {
			k, v := render.json(en.Payload)
			err = enc.Encode(map[string]any{"id": en.ID, k: v})
		} else {
			_, err = fmt.Fprintf(w, "%v %s\n", en.ID, render.text(en.Payload))
		}
		if err != nil {
			return err
		}
	}
	return nil
}
