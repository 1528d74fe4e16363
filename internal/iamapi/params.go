package iamapi

import (
	"encoding/base64"
	"slices"
	"strconv"
	"strings"

	"github.com/zonal-dev/zonal/internal/iam"
)

const (
	defaultMaxItems = 100
	maxMaxItems     = 1000
)

func validationErr(member, value, constraint string) error {
	return apiErr(iam.CodeValidationError,
		"1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must %s", value, member, constraint)
}

// paging reads Marker and MaxItems.
func (c *call) paging() (marker string, max int, err error) {
	max = defaultMaxItems
	if v, ok := c.get("MaxItems"); ok {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil:
			return "", 0, validationErr("maxItems", v, "be an integer")
		case n < 1:
			return "", 0, validationErr("maxItems", v, "have value greater than or equal to 1")
		case n > maxMaxItems:
			return "", 0, validationErr("maxItems", v, "have value less than or equal to 1000")
		}
		max = n
	}
	if v, ok := c.get("Marker"); ok {
		b, err := base64.RawURLEncoding.DecodeString(v)
		if err != nil || len(b) == 0 {
			return "", 0, apiErr(iam.CodeInvalidInput, "Invalid Marker.")
		}
		marker = string(b)
	}
	return marker, max, nil
}

// page cuts one page out of items sorted by lower-case key: the items from
// marker (the key of the first item of the page) on, at most max. It
// returns the marker of the next page, if any.
func page[T any](items []T, key func(T) string, marker string, max int) ([]T, string) {
	start := 0
	if marker != "" {
		start = slices.IndexFunc(items, func(it T) bool { return key(it) == marker })
		if start < 0 {
			// The marker's item is gone: resume after where it sorted.
			start = 0
			m := strings.ToLower(marker)
			for start < len(items) && strings.ToLower(key(items[start])) < m {
				start++
			}
		}
	}
	items = items[start:]
	if len(items) <= max {
		return items, ""
	}
	return items[:max], base64.RawURLEncoding.EncodeToString([]byte(key(items[max])))
}

// tags reads Tags.member.N.Key / Tags.member.N.Value.
func (c *call) tags() []iam.Tag {
	var out []iam.Tag
	for i := 1; ; i++ {
		p := "Tags.member." + strconv.Itoa(i) + "."
		k, ok := c.get(p + "Key")
		if !ok {
			return out
		}
		v, _ := c.get(p + "Value")
		out = append(out, iam.Tag{Key: k, Value: v})
	}
}

// boolParam reads an optional boolean.
func (c *call) boolParam(name, member string) (bool, error) {
	v, ok := c.get(name)
	if !ok {
		return false, nil
	}
	switch strings.ToLower(v) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, validationErr(member, v, "be a boolean")
}

// pathPrefix reads an optional PathPrefix.
func (c *call) pathPrefix() (string, error) {
	v, ok := c.get("PathPrefix")
	if !ok {
		return "", nil
	}
	if err := iam.ValidatePathPrefix(v); err != nil {
		return "", err
	}
	return v, nil
}

// policyARN reads and checks the PolicyArn parameter. It returns the
// ARN and the account it names for authorization: "" for AWS managed
// policies, which any account may read (they do not exist here, so the
// action then reports NoSuchEntity).
func (c *call) policyARN() (arn, account string, err error) {
	arn, err = c.required("PolicyArn", "policyArn")
	if err != nil {
		return "", "", err
	}
	if err := iam.ValidatePolicyARN(arn); err != nil {
		return "", "", err
	}
	acct, _, _, ok := iam.ParsePolicyARN(arn)
	if !ok {
		return "", "", apiErr(iam.CodeInvalidInput, "ARN %s is not valid.", arn)
	}
	if acct == "aws" {
		acct = ""
	}
	return arn, acct, nil
}

type xmlList struct {
	Members []string `xml:"member"`
}
