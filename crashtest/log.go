package crashtest

import "github.com/raftlog/raftlog/raftlog"

// OpenLog opens (or creates) the log in dir on the machine's current disk,
// with cfg set up by LogConfig, and has the machine close it when it
// crashes. The log is the code's to use and close; after a Crash it is dead
// (every call fails) and the code opens the log again.
func OpenLog[L, P, V, U any](m *Machine, dir string, types raftlog.Types[L, P, V, U], cfg raftlog.Config) (*raftlog.Log[L, P, V, U], error) {
	l, err := raftlog.OpenWith(dir, types, m.LogConfig(cfg))
	if err != nil {
		return nil, err
	}
	m.open = append(m.open, l)
	return l, nil
}
