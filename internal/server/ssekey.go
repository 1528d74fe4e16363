package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/sse"
)

// sseCheckName is the catalog entry holding the check value of the SSE
// master key (sse.Keyring.Check) once a key exists.
//
// A missing key file must never be answered by generating a new key while
// objects encrypted with the old one exist: they would all become
// unreadable, silently. The check value is recorded in the catalog right
// after the key file is durably created, before any object can be
// written, so "the catalog names a key" is true exactly when objects may
// depend on one. Kept in the catalog, it cannot be lost without losing the
// object records with it, unlike a marker file beside the key (which a
// lost keys/ folder or a wrong --sse-key-file path would take along), and
// unlike "the catalog is not empty" it also tells a wrong key from the
// right one.
const sseCheckName = "zonal/sse-key-check"

// openSSE loads the SSE master key, generating it only for a data folder
// that cannot hold any object encrypted with an earlier key.
func (s *Server) openSSE(ctx context.Context, path string) (*sse.Keyring, error) {
	recorded, err := s.cat.GetConfig(ctx, sseCheckName)
	if errors.Is(err, catalog.ErrNotFound) {
		recorded, err = nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("SSE master key: reading its check value: %w", err)
	}
	k, err := sse.Load(path)
	if errors.Is(err, fs.ErrNotExist) {
		used := recorded != nil
		if !used {
			// A catalog from before the check value was recorded: any
			// bucket may hold encrypted objects.
			if used, err = s.anyBucket(ctx); err != nil {
				return nil, err
			}
		}
		if used && s.cfg.Catalog != "" {
			return nil, fmt.Errorf("SSE master key %s is missing, and the shared catalog already records the key its objects are encrypted with "+
				"(check value %s): zonal will not generate another. Give every node the same --sse-key-file (ZONAL_SSE_KEY_FILE)", path, recorded)
		}
		if used {
			return nil, fmt.Errorf("SSE master key %s is missing, but objects in this data folder are encrypted with it: "+
				"zonal will not generate a new key, which would make them unreadable. Restore the key file, "+
				"or point --sse-key-file (ZONAL_SSE_KEY_FILE) at it", path)
		}
		k, err = sse.Create(path)
	}
	if err != nil {
		return nil, fmt.Errorf("SSE master key: %w", err)
	}
	switch {
	case recorded != nil && string(recorded) != k.Check() && s.cfg.Catalog != "":
		return nil, fmt.Errorf("SSE master key %s is not the key the shared catalog's objects are encrypted with "+
			"(check value %s, recorded %s): give every node the same --sse-key-file (ZONAL_SSE_KEY_FILE)", path, k.Check(), recorded)
	case recorded != nil && string(recorded) != k.Check():
		return nil, fmt.Errorf("SSE master key %s is not the key this data folder's objects are encrypted with "+
			"(check value %s, recorded %s): point --sse-key-file (ZONAL_SSE_KEY_FILE) at the right key", path, k.Check(), recorded)
	case recorded == nil && s.degraded == "":
		// Compare-and-set: another node sharing the catalog may have
		// recorded its own key since the read above. The first key wins;
		// every later node must be given that same key file.
		err := s.cat.UpdateConfig(ctx, sseCheckName, func(cur []byte) ([]byte, error) {
			if cur == nil {
				return []byte(k.Check()), nil
			}
			if string(cur) != k.Check() {
				return nil, fmt.Errorf("SSE master key %s is not the key the shared catalog's objects are encrypted with "+
					"(check value %s, recorded %s by another node): give every node the same --sse-key-file", path, k.Check(), cur)
			}
			return nil, nil
		})
		if err != nil {
			return nil, fmt.Errorf("SSE master key: recording its check value: %w", err)
		}
	}
	return k, nil
}

// anyBucket reports whether any account owns a bucket.
func (s *Server) anyBucket(ctx context.Context) (bool, error) {
	for _, acct := range s.ids.Accounts() {
		bs, err := s.cat.ListBuckets(ctx, acct, "", 1)
		if err != nil {
			return false, fmt.Errorf("listing buckets: %w", err)
		}
		if len(bs) > 0 {
			return true, nil
		}
	}
	return false, nil
}
