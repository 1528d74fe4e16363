package bench

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/zonal-dev/zonal/internal/sigv4"
)

// Operation kinds, for the per-request breakdown of workloads that make
// more than one kind of request (mixed, multipart).
type opKind int

const (
	kindPut opKind = iota
	kindGet
	kindList
	kindAppend
	kindCreateMPU
	kindUploadPart
	kindCompleteMPU
	numKinds
)

var kindNames = [numKinds]string{"PutObject", "GetObject", "ListObjectsV2", "PutObject(append)", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"}

// kindsOf lists the request kinds a workload makes, when more than one.
func kindsOf(workload string) []opKind {
	switch workload {
	case WorkloadMixed:
		return []opKind{kindGet, kindPut}
	case WorkloadMultipart:
		return []opKind{kindCreateMPU, kindUploadPart, kindCompleteMPU}
	}
	return nil
}

// op performs one operation of the run's workload on worker w and returns
// the payload bytes it moved and an error code ("" on success).
func (w *worker) op() (int64, string) {
	g := w.g
	switch g.op {
	case WorkloadPut:
		return w.put(w.putKey(), kindPut)
	case WorkloadGet:
		return w.get(g.keys[w.rand()%uint64(len(g.keys))], kindGet)
	case WorkloadMixed:
		key := g.keys[w.rand()%uint64(len(g.keys))]
		// 53 random bits give a uniform float in [0, 1).
		if float64(w.rand()>>11)/(1<<53) < g.cfg.GetRatio {
			return w.get(key, kindGet)
		}
		return w.put(key, kindPut)
	case WorkloadList:
		return w.list()
	case WorkloadAppend:
		return w.appendOp()
	case WorkloadMultipart:
		return w.multipart()
	}
	return 0, "client:unknown-workload"
}

// putKey names the next PUT's key: a new key each time, or, with --keys K,
// one of the K keys, each worker cycling through its own share of them.
func (w *worker) putKey() string {
	g := w.g
	w.seq++
	if len(g.keys) > 0 {
		return g.keys[(uint64(w.id)+w.seq*uint64(g.cfg.Concurrency))%uint64(len(g.keys))]
	}
	b := append(w.keyBuf[:0], g.putPrefix...)
	b = strconv.AppendInt(b, int64(w.id), 10)
	b = append(b, '/')
	b = strconv.AppendUint(b, w.seq, 10)
	w.keyBuf = b
	return string(b)
}

func (w *worker) payload() (body []byte, hash string, hdr [][2]string) {
	g := w.g
	i := 0
	if len(g.payloads) > 1 {
		i = int(w.rand() % uint64(len(g.payloads)))
	}
	p := &g.payloads[i]
	return p.data, p.hash, p.hdr
}

func (w *worker) put(key string, k opKind) (int64, string) {
	body, hash, hdr := w.payload()
	rq := request{method: http.MethodPut, path: key, body: body, hash: hash, hdr: hdr, expect: -1}
	start := w.g.now()
	o := w.c.do(&rq)
	w.recordKind(k, start, o.code)
	return int64(len(body)), o.code
}

func (w *worker) get(key string, k opKind) (int64, string) {
	rq := request{method: http.MethodGet, path: key, expect: w.g.cfg.Size}
	start := w.g.now()
	o := w.c.do(&rq)
	w.recordKind(k, start, o.code)
	return o.n, o.code
}

func (w *worker) list() (int64, string) {
	g := w.g
	rq := request{method: http.MethodGet, path: "", query: g.listQuery, keep: true, expect: -1}
	o := w.c.do(&rq)
	if o.code == "" && g.listWant > 0 {
		// A full page: read the count rather than trust the status alone.
		if n, _ := strconv.Atoi(xmlTextBytes(w.c.resp, "<KeyCount>", "</KeyCount>")); n != g.listWant {
			o.code = "client:short-page"
		}
	}
	return o.n, o.code
}

// appendOp appends --size bytes to the worker's current key with
// x-amz-write-offset-bytes set to the size it knows the object has; after
// AppendsPerKey appends (S3 allows 10,000 parts per object) or an error it
// moves on to a new key at offset 0.
func (w *worker) appendOp() (int64, string) {
	g := w.g
	if w.appendKey == "" || w.appendCount >= g.cfg.AppendsPerKey {
		w.appendGen++
		w.appendKey = g.appendPrefix + strconv.Itoa(w.id) + "/" + strconv.Itoa(w.appendGen)
		w.appendOff, w.appendCount = 0, 0
	}
	body, hash, hdr := w.payload()
	h := append(w.hdrBuf[:0], hdr...)
	h = append(h, [2]string{"X-Amz-Write-Offset-Bytes", strconv.FormatInt(w.appendOff, 10)})
	w.hdrBuf = h
	rq := request{method: http.MethodPut, path: w.appendKey, body: body, hash: hash, hdr: h, expect: -1}
	o := w.c.do(&rq)
	if o.code != "" {
		w.appendKey = "" // start over on a fresh key rather than guess the size
		return 0, o.code
	}
	w.appendOff += int64(len(body))
	w.appendCount++
	return int64(len(body)), ""
}

// multipart uploads one object: CreateMultipartUpload, Parts x UploadPart,
// CompleteMultipartUpload. The operation is the whole upload; each request
// kind is also timed on its own.
func (w *worker) multipart() (int64, string) {
	g := w.g
	w.seq++
	key := g.mpuPrefix + strconv.Itoa(w.id) + "/" + strconv.FormatUint(w.seq, 10)

	start := g.now()
	o := w.c.do(&request{method: http.MethodPost, path: key, query: "uploads=", keep: true, expect: -1})
	if o.code == "" {
		if w.uploadID = xmlText(w.c.resp, "UploadId"); w.uploadID == "" {
			o.code = ErrClassBadResponse
		}
	}
	w.recordKind(kindCreateMPU, start, o.code)
	if o.code != "" {
		return 0, o.code
	}
	idq := "uploadId=" + queryEscape(w.uploadID)
	var total int64
	etags := w.etags[:0]
	for part := 1; part <= g.cfg.Parts; part++ {
		body, hash, hdr := w.payload()
		start = g.now()
		o = w.c.do(&request{method: http.MethodPut, path: key, query: "partNumber=" + strconv.Itoa(part) + "&" + idq,
			body: body, hash: hash, hdr: hdr, expect: -1})
		if o.code == "" {
			etag := o.header.Get("Etag")
			if etag == "" {
				o.code = ErrClassBadResponse
			}
			etags = append(etags, etag)
		}
		w.recordKind(kindUploadPart, start, o.code)
		if o.code != "" {
			w.abort(key, idq)
			return total, o.code
		}
		total += int64(len(body))
	}
	w.etags = etags
	var b strings.Builder
	b.WriteString(`<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`)
	for i, e := range etags {
		fmt.Fprintf(&b, "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", i+1, xmlEscape(e))
	}
	b.WriteString(`</CompleteMultipartUpload>`)
	body := []byte(b.String())
	hash := sigv4.UnsignedPayload
	if !g.cfg.Unsigned {
		hash = sigv4.HashPayload(body)
	}
	start = g.now()
	o = w.c.do(&request{method: http.MethodPost, path: key, query: idq, body: body, hash: hash, keep: true, expect: -1})
	if o.code == "" && strings.Contains(string(w.c.resp), "<Error>") {
		// CompleteMultipartUpload may fail inside a 200 response.
		if o.code = ErrorCode(w.c.resp); o.code == "" {
			o.code = ErrClassBadResponse
		}
	}
	w.recordKind(kindCompleteMPU, start, o.code)
	if o.code != "" {
		w.abort(key, idq)
		return total, o.code
	}
	return total, ""
}

func (w *worker) abort(key, idq string) {
	w.c.do(&request{method: http.MethodDelete, path: key, query: idq, expect: -1})
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

func queryEscape(s string) string {
	if safeKey(s) && !strings.Contains(s, "/") {
		return s
	}
	var b strings.Builder
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// populate PUTs keys (untimed) with the run's concurrency, for the get,
// mixed and list workloads.
func (g *gen) populate(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	g.logf("populating %d objects of %s (untimed)...", len(keys), FormatSize(g.cfg.Size))
	var next atomic.Int64
	var first atomic.Pointer[string]
	var wg sync.WaitGroup
	for i := range min(g.cfg.Concurrency, len(keys)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := g.newWorker(i)
			for ctx.Err() == nil && first.Load() == nil {
				j := next.Add(1) - 1
				if j >= int64(len(keys)) {
					return
				}
				body, hash, hdr := w.payload()
				o := w.c.do(&request{method: http.MethodPut, path: keys[j], body: body, hash: hash, hdr: hdr, expect: -1})
				if o.code != "" {
					msg := fmt.Sprintf("populating %s: %s", keys[j], o.code)
					first.CompareAndSwap(nil, &msg)
				}
			}
		}()
	}
	wg.Wait()
	if m := first.Load(); m != nil {
		return fmt.Errorf("%s", *m)
	}
	return ctx.Err()
}
