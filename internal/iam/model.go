package iam

import (
	"crypto/rand"
	"slices"
	"strings"
	"time"
)

// KeyStatus is an access key's status.
type KeyStatus string

// Access key statuses. Only Active keys authenticate.
const (
	KeyActive   KeyStatus = "Active"
	KeyInactive KeyStatus = "Inactive"
)

// DefaultVersion is the version id of every managed policy. zonal keeps one
// version per managed policy: CreatePolicyVersion and the other version
// actions are not supported, so "v1" is always the default version.
const DefaultVersion = "v1"

// Tag is a key/value tag on a user or a managed policy.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// User is an IAM user.
type User struct {
	Account string
	Name    string
	Path    string // "/" or "/division/team/"
	ID      string // unique id, "AIDA" + 17 characters
	Created time.Time
	Tags    []Tag
}

// ARN returns arn:aws:iam::ACCOUNT:user/PATH/NAME.
func (u User) ARN() string { return UserARN(u.Account, u.Path, u.Name) }

// UserARN builds a user ARN; path is "/" or "/x/.../".
func UserARN(account, path, name string) string {
	if path == "" {
		path = "/"
	}
	return "arn:aws:iam::" + account + ":user" + path + name
}

// PolicyARN builds a customer managed policy ARN.
func PolicyARN(account, path, name string) string {
	if path == "" {
		path = "/"
	}
	return "arn:aws:iam::" + account + ":policy" + path + name
}

// RootARN is an account root's ARN.
func RootARN(account string) string { return "arn:aws:iam::" + account + ":root" }

// AccessKey describes an access key. Secret is set only in the result of
// CreateAccessKey: it cannot be read back later, as in AWS.
type AccessKey struct {
	ID      string
	User    string // owning user; empty for an account's root key
	Status  KeyStatus
	Created time.Time
	Secret  string
}

// InlinePolicy is a policy embedded in a user.
type InlinePolicy struct {
	User     string
	Name     string
	Document string // the JSON text as given
}

// ManagedPolicy is a customer managed policy. It has exactly one version,
// DefaultVersion.
type ManagedPolicy struct {
	Account     string
	Name        string
	Path        string
	ID          string // "ANPA" + 17 characters
	Description string
	Document    string
	Created     time.Time
	Updated     time.Time
	Attachments int // number of users it is attached to
	Tags        []Tag
}

// ARN returns arn:aws:iam::ACCOUNT:policy/PATH/NAME.
func (p ManagedPolicy) ARN() string { return PolicyARN(p.Account, p.Path, p.Name) }

// AttachedPolicy names a managed policy attached to a user.
type AttachedPolicy struct {
	Name string
	ARN  string
}

// ParsePolicyARN splits a policy ARN arn:aws:iam::ACCOUNT:policy/PATH/NAME.
// The account of an AWS managed policy is "aws".
func ParsePolicyARN(arn string) (account, path, name string, ok bool) {
	rest, ok := strings.CutPrefix(arn, "arn:aws:iam::")
	if !ok {
		return "", "", "", false
	}
	account, rest, ok = strings.Cut(rest, ":policy/")
	if !ok || account == "" {
		return "", "", "", false
	}
	rest = "/" + rest
	i := strings.LastIndexByte(rest, '/')
	path, name = rest[:i+1], rest[i+1:]
	if name == "" {
		return "", "", "", false
	}
	return account, path, name, true
}

// ValidAccountID reports whether id is a 12-digit account id.
func ValidAccountID(id string) bool {
	if len(id) != 12 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return false
		}
	}
	return true
}

// Records as stored in the catalog (JSON). Secrets are kept sealed in
// keyRec.Sealed; the plain secret lives only in memory.

type accountRec struct {
	V        int          `json:"v"`
	Rev      uint64       `json:"rev,omitempty"` // grows by one with every write (see DB)
	ID       string       `json:"id"`
	Created  time.Time    `json:"created"`
	Root     *keyRec      `json:"root"`
	Users    []*userRec   `json:"users,omitempty"`
	Policies []*policyRec `json:"policies,omitempty"`
}

type keyRec struct {
	ID      string    `json:"id"`
	Sealed  string    `json:"sealed_secret"` // see sealer
	Status  KeyStatus `json:"status"`
	Created time.Time `json:"created"`
	secret  string
}

type userRec struct {
	Name     string       `json:"name"`
	Path     string       `json:"path"`
	ID       string       `json:"id"`
	Created  time.Time    `json:"created"`
	Tags     []Tag        `json:"tags,omitempty"`
	Keys     []*keyRec    `json:"keys,omitempty"`
	Inline   []*inlineRec `json:"inline,omitempty"`   // sorted by lower-case name
	Attached []string     `json:"attached,omitempty"` // managed policy names, sorted by lower-case name
}

type inlineRec struct {
	Name     string `json:"name"`
	Document string `json:"document"`
}

type policyRec struct {
	Name        string    `json:"name"`
	Path        string    `json:"path"`
	ID          string    `json:"id"`
	Description string    `json:"description,omitempty"`
	Document    string    `json:"document"`
	Created     time.Time `json:"created"`
	Updated     time.Time `json:"updated"`
	Tags        []Tag     `json:"tags,omitempty"`
}

func (k *keyRec) clone() *keyRec { c := *k; return &c }

func (u *userRec) clone() *userRec {
	c := *u
	c.Tags = slices.Clone(u.Tags)
	c.Keys = make([]*keyRec, len(u.Keys))
	for i, k := range u.Keys {
		c.Keys[i] = k.clone()
	}
	c.Inline = make([]*inlineRec, len(u.Inline))
	for i, p := range u.Inline {
		ip := *p
		c.Inline[i] = &ip
	}
	c.Attached = slices.Clone(u.Attached)
	return &c
}

func (u *userRec) public(account string) User {
	return User{Account: account, Name: u.Name, Path: u.Path, ID: u.ID, Created: u.Created, Tags: slices.Clone(u.Tags)}
}

func (u *userRec) inline(name string) int {
	for i, p := range u.Inline {
		if strings.EqualFold(p.Name, name) {
			return i
		}
	}
	return -1
}

func (u *userRec) attached(name string) int {
	for i, n := range u.Attached {
		if strings.EqualFold(n, name) {
			return i
		}
	}
	return -1
}

func (p *policyRec) clone() *policyRec {
	c := *p
	c.Tags = slices.Clone(p.Tags)
	return &c
}

func (p *policyRec) public(account string, attachments int) ManagedPolicy {
	return ManagedPolicy{Account: account, Name: p.Name, Path: p.Path, ID: p.ID, Description: p.Description,
		Document: p.Document, Created: p.Created, Updated: p.Updated, Attachments: attachments, Tags: slices.Clone(p.Tags)}
}

func lowerLess(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) }

const (
	idAlphabet     = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"                                 // 32: byte%32 is uniform
	secretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/" // 64: byte%64 is uniform
)

func randomString(prefix string, n int, alphabet string) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return prefix + string(b)
}

func newUserID() string      { return randomString("AIDA", 17, idAlphabet) }
func newPolicyID() string    { return randomString("ANPA", 17, idAlphabet) }
func newAccessKeyID() string { return randomString("AKIA", 16, idAlphabet) }
func newSecret() string      { return randomString("", 40, secretAlphabet) }
