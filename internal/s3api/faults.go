package s3api

import (
	"io"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/zonal-dev/zonal/internal/faults"
	"github.com/zonal-dev/zonal/internal/s3err"
)

// injectFault asks the fault rules about an authenticated request (so
// rules can match its principal and session) and applies the one that
// fires: its latency now, its error as a real S3 error, its transport
// effects through the writer and body it returns.
func (h *Handler) injectFault(w http.ResponseWriter, r *http.Request, t target, c *caller, req *Request) (http.ResponseWriter, *http.Request, error) {
	q := faults.Request{Op: string(t.Op), Bucket: t.Bucket, Key: t.Key, Principal: req.Info.Principal, Method: r.Method}
	if c.session != nil {
		q.Session = c.session.Mode.String()
	}
	if p := t.Query.Get("partNumber"); p != "" {
		q.Part, _ = strconv.Atoi(p)
	}
	f := h.cfg.Faults.Decide(&q)
	if f == nil {
		return w, r, nil
	}
	h.log.LogAttrs(r.Context(), slog.LevelDebug, "fault injected", slog.String("rule", f.Rule),
		slog.String("request_id", req.Info.RequestID), slog.String("op", q.Op),
		slog.String("bucket", q.Bucket), slog.String("key", q.Key))
	w, r = f.Wrap(w, r)
	req.more().rule, req.more().w = f.Rule, w
	if err := f.Wait(r.Context()); err != nil {
		return w, r, err
	}
	if e := f.Error(); e != nil {
		// The body is read before the error goes out: answering with most
		// of an upload unread makes net/http close the connection, and a
		// client still sending sees a reset, not the error a test asked for.
		_, _ = io.Copy(io.Discard, r.Body)
		msg := e.Message
		if msg == "" {
			msg = "Injected by zonal fault rule " + f.Rule + "."
		}
		return w, r, &s3err.Error{Code: e.Code, Status: e.Status, Message: msg}
	}
	return w, r, nil
}
