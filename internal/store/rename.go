package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"time"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// RenameInput describes one RenameObject.
type RenameInput struct {
	Bucket       string
	Src, Dst     string
	Source       SourceConditions
	IfMatch      string
	IfNoneMatch  string
	IfModSince   *time.Time
	IfUnmodSince *time.Time
	ClientToken  string
}

// Rename moves a record to a new key in one catalog commit: no data moves,
// whatever the size. Metadata, ETag and times are preserved, as AWS does.
// A retry with the same client token after success succeeds without
// acting; the same token with other parameters is refused.
func (s *Store) Rename(ctx context.Context, in *RenameInput) error {
	if strings.HasSuffix(in.Src, "/") || strings.HasSuffix(in.Dst, "/") {
		return invalidRequest("RenameObject does not support keys that end with a slash (/).")
	}
	if len(in.Dst) > MaxKeyLength {
		return &Error{Kind: KeyTooLong, Op: OpRename, Key: in.Dst}
	}
	if in.Src == in.Dst {
		return invalidRequest("The source and destination keys of a rename must differ.")
	}
	if err := s.claimRenameToken(ctx, in); err != nil {
		return err
	}
	refs := []catalog.ObjectRef{{Bucket: in.Bucket, Key: in.Src}, {Bucket: in.Bucket, Key: in.Dst}}
	err := s.cat.UpdateObjects(ctx, refs, func(cur []*catalog.Object) ([]*catalog.Object, error) {
		src, dst := cur[0], cur[1]
		if in.ClientToken != "" && dst != nil && dst.RenameToken == in.ClientToken {
			if dst.RenameSource != in.Src {
				return nil, kindErr(IdempotencyMismatch)
			}
			// An earlier try with this token succeeded: do nothing, even
			// if the source key has been written again since.
			return nil, errNothing
		}
		if src == nil {
			return nil, &Error{Kind: NoSuchKey, Key: in.Src}
		}
		if err := in.Source.check(src, OpRename); err != nil {
			return nil, err
		}
		if err := checkDest(dst, in); err != nil {
			return nil, err
		}
		moved := *src
		moved.Key = in.Dst
		moved.RenameToken, moved.RenameSource = in.ClientToken, in.Src
		return []*catalog.Object{nil, &moved}, nil
	})
	switch {
	case errors.Is(err, errNothing):
		return nil
	case errors.Is(err, catalog.ErrNotFound):
		return noSuchBucket(in.Bucket)
	}
	return wrap(err)
}

// checkDest applies the destination conditions of a rename. When both
// If-Match and If-None-Match: * fail, AWS names If-Match.
func checkDest(dst *catalog.Object, in *RenameInput) error {
	if in.IfMatch != "" {
		if dst == nil || !ETagMatches(in.IfMatch, dst.ETag) {
			return precondition(IfMatch)
		}
	}
	if in.IfNoneMatch != "" && dst != nil {
		return precondition(IfNoneMatch)
	}
	if dst != nil {
		mod := dst.LastModified.Truncate(time.Second)
		if in.IfUnmodSince != nil && mod.After(*in.IfUnmodSince) {
			return precondition(IfUnmodifiedSince)
		}
		if in.IfModSince != nil && !mod.After(*in.IfModSince) {
			return precondition(IfModifiedSince)
		}
	}
	return nil
}

// renameTokenTTL is how long a RenameObject client token stays bound to
// its parameters: long enough for client retries.
const renameTokenTTL = time.Hour

// claimRenameToken binds a client token to the rename's source and
// destination in the catalog, shared by every node, so a token reused for
// another rename is refused even when the destination record (which also
// carries the token) is not the one it names, and two nodes cannot both
// act on one token with different parameters. The claim comes before the
// rename, the only order that excludes that race; so a token whose rename
// failed stays bound to its parameters too (a retry with the same ones
// proceeds).
func (s *Store) claimRenameToken(ctx context.Context, in *RenameInput) error {
	if in.ClientToken == "" {
		return nil
	}
	want := renameTokenValue(in.Src, in.Dst)
	got, err := s.cat.ClaimToken(ctx, in.Bucket, in.ClientToken, want, renameTokenTTL)
	if err != nil {
		return wrap(err)
	}
	if !bytes.Equal(got, want) {
		return kindErr(IdempotencyMismatch)
	}
	return nil
}

// renameTokenValue encodes a rename's parameters unambiguously (keys may
// hold any byte).
func renameTokenValue(src, dst string) []byte {
	b := binary.AppendUvarint(nil, uint64(len(src)))
	b = append(b, src...)
	return append(b, dst...)
}
