package server

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"

	"github.com/zonal-dev/zonal/internal/faults"
)

// Faults returns the server's fault-injection rules, to change at run time
// (zonaltest).
func (s *Server) Faults() *faults.Set { return s.faults }

// faultsAPI serves /_zonal/faults (behind the admin token with the other
// operator endpoints): GET lists the rules with their counters, POST adds
// one (a JSON rule, the --faults file's schema), DELETE /_zonal/faults/NAME
// removes one and DELETE /_zonal/faults removes them all.
//
// Without an admin token the other endpoints are open to anyone, which is
// tolerable for reads; a rule breaks other clients' requests, so changes
// then come from this machine only.
func (s *Server) faultsAPI(mux *http.ServeMux) {
	mayChange := func(w http.ResponseWriter, r *http.Request) bool {
		if s.cfg.AdminToken != "" || loopback(r.RemoteAddr) {
			return true
		}
		writeJSONError(w, http.StatusForbidden, "fault rules can be changed from another host only with --admin-token set")
		return false
	}
	mux.HandleFunc("GET "+FaultsPath, func(w http.ResponseWriter, r *http.Request) {
		rules := s.faults.List()
		if rules == nil {
			rules = []faults.Status{}
		}
		writeJSON(w, http.StatusOK, map[string]any{"rules": rules})
	})
	mux.HandleFunc("POST "+FaultsPath, func(w http.ResponseWriter, r *http.Request) {
		if !mayChange(w, r) {
			return
		}
		data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
		if err != nil {
			writeJSONError(w, http.StatusBadRequest, "reading the rule: "+err.Error())
			return
		}
		rule, err := faults.ParseJSON(data)
		if err != nil {
			writeJSONError(w, http.StatusBadRequest, err.Error())
			return
		}
		name, err := s.faults.Add(rule, faults.FromAPI)
		if errors.Is(err, faults.ErrExists) {
			writeJSONError(w, http.StatusConflict, err.Error())
			return
		}
		if err != nil {
			writeJSONError(w, http.StatusBadRequest, err.Error())
			return
		}
		s.log.Info("fault rule added", "rule", name)
		writeJSON(w, http.StatusCreated, map[string]string{"name": name})
	})
	mux.HandleFunc("DELETE "+FaultsPath+"/{name}", func(w http.ResponseWriter, r *http.Request) {
		if !mayChange(w, r) {
			return
		}
		if !s.faults.Remove(r.PathValue("name")) {
			writeJSONError(w, http.StatusNotFound, "no fault rule named "+r.PathValue("name"))
			return
		}
		s.log.Info("fault rule removed", "rule", r.PathValue("name"))
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("DELETE "+FaultsPath, func(w http.ResponseWriter, r *http.Request) {
		if !mayChange(w, r) {
			return
		}
		s.faults.Clear()
		s.log.Info("fault rules cleared")
		w.WriteHeader(http.StatusNoContent)
	})
}

// loopback reports whether a request's remote address is this machine.
func loopback(remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeJSONError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
