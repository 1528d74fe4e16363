package store

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/zonal-dev/zonal/internal/catalog"
)

// AWS's limits on resource tags (S3 Control TagResource, CreateBucket's
// Tags): lengths count Unicode characters, not bytes.
const (
	MaxTags        = 50
	MaxTagKeyLen   = 128
	MaxTagValueLen = 256
	// MaxUntagKeys bounds one UntagResource's key list: AWS documents none,
	// and a request naming more keys than a resource can hold is nonsense.
	MaxUntagKeys = MaxTags
)

// CheckTag reports why a tag breaks AWS's rules ("" when it does not):
// key 1-128 and value 0-256 characters of letters, digits, white space
// and _ . : / = + - @ (the S3 Control model's pattern), and no key in the
// aws: namespace, which is AWS's own.
func CheckTag(key, value string) string {
	switch n := utf8.RuneCountInString(key); {
	case n == 0:
		return "The TagKey you have provided is invalid: it must not be empty."
	case n > MaxTagKeyLen:
		return "The TagKey you have provided is too long, max 128 characters."
	case !tagText(key):
		return "The TagKey you have provided is invalid: it may contain only letters, digits, spaces and _ . : / = + - @."
	case len(key) >= 4 && strings.EqualFold(key[:4], "aws:"):
		return "Your TagKey cannot be prefixed with aws:"
	}
	switch {
	case utf8.RuneCountInString(value) > MaxTagValueLen:
		return "The TagValue you have provided is too long, max 256 characters."
	case !tagText(value):
		return "The TagValue you have provided is invalid: it may contain only letters, digits, spaces and _ . : / = + - @."
	}
	return ""
}

// tagText reports whether s is valid UTF-8 of the characters tags allow.
func tagText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !(unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.In(r, unicode.Zs) || strings.ContainsRune("_.:/=+-@", r)) {
			return false
		}
	}
	return true
}

// TagSet checks the tags of one request (CreateBucket's Tags, a
// TagResource body), given in order, and returns them as a map: every tag
// must be valid, a key may appear once, and there may be at most MaxTags.
func TagSet(keys, values []string) (map[string]string, error) {
	if len(keys) > MaxTags {
		return nil, &Error{Kind: TooManyTags}
	}
	m := make(map[string]string, len(keys))
	for i, k := range keys {
		if why := CheckTag(k, values[i]); why != "" {
			return nil, &Error{Kind: InvalidTag, Msg: why}
		}
		if _, dup := m[k]; dup {
			return nil, &Error{Kind: InvalidTag, Msg: "Cannot provide multiple Tags with the same key."}
		}
		m[k] = values[i]
	}
	return m, nil
}

// TagBucket adds tags to a bucket, replacing the values of keys it has,
// in one atomic update: when the result would exceed MaxTags nothing
// changes (TooManyTags). tags must have passed TagSet.
func (s *Store) TagBucket(ctx context.Context, name string, tags map[string]string) error {
	return s.UpdateBucket(ctx, name, func(b *catalog.Bucket) (err error) {
		b.Tags, err = addTags(b.Tags, tags)
		return err
	})
}

// addTags merges tags into cur (which it may change), refusing a result
// of more than MaxTags.
func addTags(cur, tags map[string]string) (map[string]string, error) {
	if cur == nil {
		cur = make(map[string]string, len(tags))
	}
	for k, v := range tags {
		cur[k] = v
	}
	if len(cur) > MaxTags {
		return nil, &Error{Kind: TooManyTags}
	}
	return cur, nil
}

// UntagBucket removes the tags with the given keys; keys it does not have
// are ignored, as AWS does.
func (s *Store) UntagBucket(ctx context.Context, name string, keys []string) error {
	return s.UpdateBucket(ctx, name, func(b *catalog.Bucket) error {
		for _, k := range keys {
			delete(b.Tags, k)
		}
		return nil
	})
}
