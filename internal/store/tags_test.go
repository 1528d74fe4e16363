package store_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/zonal-dev/zonal/internal/store"
)

func kindOf(err error) store.Kind {
	var e *store.Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 255
}

func TestCheckTag(t *testing.T) {
	ok := [][2]string{
		{"team", "data"}, {"cost center", ""}, {"ünï", "välue"}, {"a_b.c:d/e=f+g-h@i", "x y"},
		{strings.Repeat("k", 128), strings.Repeat("é", 256)}, {"awsx", "aws:fine as a value"},
	}
	for _, tc := range ok {
		if why := store.CheckTag(tc[0], tc[1]); why != "" {
			t.Errorf("CheckTag(%q, %q) = %q, want valid", tc[0], tc[1], why)
		}
	}
	bad := [][2]string{
		{"", "v"}, {strings.Repeat("k", 129), "v"}, {"k", strings.Repeat("v", 257)},
		{"aws:x", "v"}, {"AWS:x", "v"}, {"a*b", "v"}, {"k", "v\n"}, {"k", "<v>"}, {"\xff", "v"},
	}
	for _, tc := range bad {
		if why := store.CheckTag(tc[0], tc[1]); why == "" {
			t.Errorf("CheckTag(%q, %q) valid, want refused", tc[0], tc[1])
		}
	}
}

func TestTagSet(t *testing.T) {
	if _, err := store.TagSet([]string{"a", "a"}, []string{"1", "2"}); kindOf(err) != store.InvalidTag {
		t.Fatalf("duplicate keys: %v, want InvalidTag", err)
	}
	keys, vals := make([]string, 51), make([]string, 51)
	for i := range keys {
		keys[i] = fmt.Sprint("k", i)
	}
	if _, err := store.TagSet(keys, vals); kindOf(err) != store.TooManyTags {
		t.Fatalf("51 tags: %v, want TooManyTags", err)
	}
	m, err := store.TagSet(keys[:50], vals[:50])
	if err != nil || len(m) != 50 {
		t.Fatalf("50 tags: %d, %v", len(m), err)
	}
}

// TestTagBucket: tags merge, the 50-tag limit counts the result and a
// refused change changes nothing; untagging ignores unknown keys.
func TestTagBucket(t *testing.T) {
	ctx := context.Background()
	s := newStore(t, store.Options{})
	tags := func() map[string]string {
		b, err := s.Bucket(ctx, bucket)
		if err != nil {
			t.Fatal(err)
		}
		return b.Tags
	}
	first := map[string]string{}
	for i := range 49 {
		first[fmt.Sprint("k", i)] = "v"
	}
	if err := s.TagBucket(ctx, bucket, first); err != nil {
		t.Fatal(err)
	}
	// Replacing a value and adding the 50th tag fit.
	if err := s.TagBucket(ctx, bucket, map[string]string{"k0": "new", "k49": "v"}); err != nil {
		t.Fatal(err)
	}
	want := maps.Clone(first)
	want["k0"], want["k49"] = "new", "v"
	if got := tags(); !maps.Equal(got, want) {
		t.Fatalf("tags = %v, want %v", got, want)
	}
	if err := s.TagBucket(ctx, bucket, map[string]string{"k0": "again", "k50": "v"}); kindOf(err) != store.TooManyTags {
		t.Fatalf("51st tag: %v, want TooManyTags", err)
	}
	if got := tags(); !maps.Equal(got, want) {
		t.Fatalf("a refused TagBucket changed the tags: %v", got)
	}
	if err := s.UntagBucket(ctx, bucket, []string{"k0", "nope"}); err != nil {
		t.Fatal(err)
	}
	delete(want, "k0")
	if got := tags(); !maps.Equal(got, want) {
		t.Fatalf("after untag: %v, want %v", got, want)
	}
	if err := s.TagBucket(ctx, "missing--use1-az4--x-s3", first); kindOf(err) != store.NoSuchBucket {
		t.Fatalf("missing bucket: %v", err)
	}
}
