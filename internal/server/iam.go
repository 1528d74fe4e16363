package server

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"

	"github.com/zonal-dev/zonal/internal/iam"
	"github.com/zonal-dev/zonal/internal/iamapi"
	"github.com/zonal-dev/zonal/internal/s3api"
)

// openIdentities opens the identity store kept in the catalog (secrets
// sealed with the master key of Config.MasterKeyFile, by default
// <data>/keys/master.key) and makes sure the default account exists with
// the configured root key.
func (s *Server) openIdentities() (*iam.DB, error) {
	ctx := context.Background()
	db, err := iam.Open(ctx, s.cat, iam.Options{DataDir: s.cfg.Data, MasterKeyFile: s.cfg.MasterKeyFile})
	if err != nil {
		return nil, err
	}
	if err := s.ensureRoot(ctx, db); err != nil {
		return nil, err
	}
	for _, a := range s.cfg.Accounts {
		if err := db.EnsureAccount(ctx, a.ID, a.AccessKeyID, a.SecretAccessKey); err != nil {
			return nil, fmt.Errorf("account %s from the configuration: %w", a.ID, err)
		}
	}
	if n := len(s.cfg.Accounts); n > 0 {
		s.log.Info("configured accounts ensured", "count", n)
	}
	s.ids = db
	return db, nil
}

// ensureRoot makes sure the default account exists with the root key.
// A node sharing a catalog without root credentials in its settings takes
// the cluster's instead of imposing the ones it found in, or generated
// into, its own data folder, which would change the root key under every
// other node's clients; nodes starting together agree on the first key
// stored. Credentials given in the settings still win: that is how an
// operator rotates the root key.
func (s *Server) ensureRoot(ctx context.Context, db *iam.DB) error {
	if s.cfg.Catalog == "" || s.rootExplicit {
		return db.EnsureAccount(ctx, s.cfg.AccountID, s.cfg.RootAccessKey, s.cfg.RootSecretKey)
	}
	ak, sk, err := db.EnsureAccountKeepRoot(ctx, s.cfg.AccountID, s.cfg.RootAccessKey, s.cfg.RootSecretKey)
	if err != nil || (ak == s.cfg.RootAccessKey && sk == s.cfg.RootSecretKey) {
		return err
	}
	s.cfg.RootAccessKey, s.cfg.RootSecretKey = ak, sk
	s.Generated = false
	s.log.Info("using the shared catalog's root credentials for the default account", "account", s.cfg.AccountID, "access_key", ak,
		"file", filepath.Join(s.cfg.Data, "root-credentials.json"))
	return s.writeRootFile()
}

// Identities returns the server's identity store.
func (s *Server) Identities() *iam.DB { return s.ids }

// withIAM routes requests whose SigV4 credential scope names the iam or sts
// service to the IAM/STS query API, and everything else to next (the S3
// API). The IAM API's outcome is copied into the request's s3api.Info so
// the access log covers both.
func (s *Server) withIAM(next http.Handler) http.Handler {
	// One Authority for both APIs: one signing-key cache, one set of rules.
	api := iamapi.New(iamapi.Config{DB: s.ids, Logger: s.log, Auth: s.api.Authority(), Claims: s3api.SigV4Of})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if svc := s3api.ServiceOf(r); svc != "iam" && svc != "sts" { // classified at the edge
			next.ServeHTTP(w, r)
			return
		}
		res := api.Serve(w, r)
		if info := s3api.InfoFrom(r.Context()); info != nil {
			info.RequestID = res.RequestID
			action := res.Action
			if action == "" || res.ErrCode == "InvalidAction" {
				action = "Unknown" // keeps metric labels bounded
			}
			info.Op = s3api.Op(res.Service + ":" + action)
			info.Principal, info.AccessKey = res.Principal, res.AccessKey
			info.ErrCode, info.Err = res.ErrCode, res.Err
		}
	})
}
