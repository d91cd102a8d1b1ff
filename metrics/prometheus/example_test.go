package prometheus_test

import (
	"fmt"
	"log"
	"os"

	prom "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	raftlogprom "github.com/raftlog/raftlog/metrics/prometheus"
	"github.com/raftlog/raftlog/raftlog"
)

// Export a log's metrics; serve them with
// http.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{})).
func ExampleNew() {
	dir, err := os.MkdirTemp("", "raftlog-metrics-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	l, err := raftlog.Open(dir, raftlog.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()

	reg := prom.NewRegistry()
	reg.MustRegister(raftlogprom.New[raftlog.LogID](l, raftlogprom.Options{ConstLabels: prom.Labels{"log": "main"}}))

	if _, err := l.Append(raftlog.Entry[raftlog.LogID, []byte]{ID: raftlog.LogID{Term: 1, Index: 1}, Payload: []byte("x")}); err != nil {
		log.Fatal(err)
	}
	if err := l.Sync(); err != nil {
		log.Fatal(err)
	}
	families, err := testutil.GatherAndCount(reg)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(families, "metrics")
	// Output: 19 metrics
}
