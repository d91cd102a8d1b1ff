package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// command is one subcommand: its flags are declared on a flag.FlagSet of
// its own, so that -h and the usage text always match what it accepts.
type command struct {
	// name is what is typed: "dump", or "bench append" for a subcommand
	// of a group.
	name string
	// args names the positional arguments in the usage line ("DIR").
	args string
	// nargs is how many positional arguments the command takes.
	nargs int
	// summary is the one line of the command list; about the paragraph
	// of the command's usage.
	summary, about string
	// hidden commands are internal: not listed.
	hidden bool
	// setup declares the flags on fl and returns the function that runs
	// the command with its positional arguments.
	setup func(fl *flag.FlagSet) func(e *env, args []string) error
}

// env is where a command writes.
type env struct{ stdout, stderr io.Writer }

// errHelp: the user asked for the command's usage (-h).
var errHelp = errors.New("help requested")

// errReported: the command has already said what went wrong (a damaged log)
// and exits with status 1.
var errReported = errors.New("failure already reported")

// usageError is a command line the command cannot run: exit status 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

// flagSet builds the command's flags; the FlagSet prints nothing itself.
func (c *command) flagSet() (*flag.FlagSet, func(e *env, args []string) error) {
	fl := flag.NewFlagSet("raftlog "+c.name, flag.ContinueOnError)
	fl.SetOutput(io.Discard)
	return fl, c.setup(fl)
}

// run parses args (flags may come before or after the positional
// arguments) and runs the command.
func (c *command) run(args []string, e *env) error {
	fl, fn := c.flagSet()
	pos, err := parseInterspersed(fl, args)
	if errors.Is(err, flag.ErrHelp) {
		return errHelp
	}
	if err != nil {
		return &usageError{msg: err.Error()}
	}
	if len(pos) != c.nargs {
		if c.nargs == 0 {
			return usagef("takes no arguments, got %q", pos)
		}
		return usagef("want %s, got %d argument(s)", c.args, len(pos))
	}
	return fn(e, pos)
}

// parseInterspersed parses flags anywhere among the positional arguments,
// up to a "--".
func parseInterspersed(fl *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fl.Parse(args); err != nil {
			return nil, err
		}
		args = fl.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// usage prints the usage line, the paragraph and every flag.
func (c *command) usage(w io.Writer) {
	line := "raftlog " + c.name
	fl, _ := c.flagSet()
	hasFlags := false
	fl.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		line += " [flags]"
	}
	if c.args != "" {
		line += " " + c.args
	}
	fmt.Fprintf(w, "usage: %s\n\n%s\n", line, strings.TrimSpace(c.about))
	if hasFlags {
		fmt.Fprintln(w, "\nFlags:")
		fl.SetOutput(w)
		fl.PrintDefaults()
	}
}

// commands lists every command, in the order of the overview.
func commands() []*command {
	return []*command{dumpCommand, statCommand, verifyCommand, repairCommand, simCommand, benchAppendCommand, benchOpenCommand, benchOpenChildCommand}
}

// lookup finds the command that args start with ("bench append" takes two
// words) and returns the rest of args.
func lookup(args []string) (*command, []string) {
	for _, c := range commands() {
		words := strings.Fields(c.name)
		if len(args) >= len(words) && strings.Join(args[:len(words)], " ") == c.name {
			return c, args[len(words):]
		}
	}
	return nil, args[1:]
}

// group returns the listed commands whose first word is name, when name is
// a group ("bench").
func group(name string) []*command {
	var g []*command
	for _, c := range commands() {
		if first, _, ok := strings.Cut(c.name, " "); ok && first == name && !c.hidden {
			g = append(g, c)
		}
	}
	return g
}
