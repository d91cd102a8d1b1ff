package prometheus

import prom "github.com/prometheus/client_golang/prometheus"

// descs are the descriptors of every metric, built once per collector.
type descs struct {
	flushRequests, flushSteps, writes, bytesWritten, fsyncs, fsyncSeconds, groupCommit *prom.Desc
	cacheHits, cacheMisses, cacheItems, cacheBytes                                     *prom.Desc
	entries, firstIndex, endIndex, indexBytes                                          *prom.Desc
	chunks, logBytes, unsyncedBytes, droppedBytes                                      *prom.Desc
}

func newDescs(o Options) descs {
	d := func(name, help string) *prom.Desc {
		return prom.NewDesc(prom.BuildFQName(o.Namespace, "", name), help, nil, o.ConstLabels)
	}
	return descs{
		flushRequests: d("flush_requests_total", "Flush and Sync requests the flush worker has served."),
		flushSteps:    d("flush_steps_total", "Rounds of the flush worker that did some work."),
		writes:        d("writes_total", "Write calls to chunk files."),
		bytesWritten:  d("written_bytes_total", "Bytes written to chunk files."),
		fsyncs:        d("fsyncs_total", "Fsyncs of chunk files, chunk rotation included."),
		fsyncSeconds:  d("fsync_duration_seconds", "Latency of chunk file fsyncs."),
		groupCommit:   d("group_commit_factor", "Flush requests served per fsync since Open."),
		cacheHits:     d("cache_hits_total", "Entries Read served from the payload cache."),
		cacheMisses:   d("cache_misses_total", "Entries Read had to read from disk."),
		cacheItems:    d("cache_items", "Entries in the payload cache."),
		cacheBytes:    d("cache_bytes", "Payload bytes in the payload cache."),
		entries:       d("entries", "Entries the log holds."),
		firstIndex:    d("first_index", "Index of the first entry held."),
		endIndex:      d("end_index", "Index after the last entry held (appends advance it)."),
		indexBytes:    d("index_bytes", "Memory of the entry index."),
		chunks:        d("chunks", "Live chunk files."),
		logBytes:      d("log_bytes", "Bytes of the live log, from its oldest chunk to its last record."),
		unsyncedBytes: d("unsynced_bytes", "Bytes appended that no fsync covers yet."),
		droppedBytes:  d("recovery_dropped_bytes", "Bytes of torn tail that recovery cut at the last Open."),
	}
}

func (d *descs) all() []*prom.Desc {
	return []*prom.Desc{
		d.flushRequests, d.flushSteps, d.writes, d.bytesWritten, d.fsyncs, d.fsyncSeconds, d.groupCommit,
		d.cacheHits, d.cacheMisses, d.cacheItems, d.cacheBytes,
		d.entries, d.firstIndex, d.endIndex, d.indexBytes,
		d.chunks, d.logBytes, d.unsyncedBytes, d.droppedBytes,
	}
}
