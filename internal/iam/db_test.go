package iam_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/catalog/mem"
	"github.com/zonal-dev/zonal/internal/catalog/pebble"
	"github.com/zonal-dev/zonal/internal/iam"
)

const (
	acct       = "111122223333"
	rootAKID   = "AKIAROOTROOTROOT0001"
	rootSecret = "rootsecretrootsecretrootsecretrootsecret"
)

var ctx = context.Background()

type quietLogger struct{}

func (quietLogger) Infof(string, ...any)           {}
func (quietLogger) Errorf(string, ...any)          {}
func (quietLogger) Fatalf(format string, a ...any) { panic(fmt.Sprintf(format, a...)) }

const allowAll = `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}`

func newDB(t *testing.T) (*iam.DB, catalog.Catalog) {
	t.Helper()
	cat := mem.New()
	db, err := iam.Open(ctx, cat, iam.Options{MasterKey: bytes.Repeat([]byte{7}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.EnsureAccount(ctx, acct, rootAKID, rootSecret); err != nil {
		t.Fatal(err)
	}
	return db, cat
}

func code(err error) string {
	var e *iam.Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return "other: " + err.Error()
}

func TestPersistenceAcrossReopen(t *testing.T) {
	dir := t.TempDir()
	open := func() (*iam.DB, *pebble.Catalog) {
		cat, err := pebble.Open(filepath.Join(dir, "meta"), pebble.WithLogger(quietLogger{}))
		if err != nil {
			t.Fatal(err)
		}
		db, err := iam.Open(ctx, cat, iam.Options{DataDir: dir})
		if err != nil {
			cat.Close()
			t.Fatal(err)
		}
		return db, cat
	}
	db, cat := open()
	if err := db.EnsureAccount(ctx, acct, rootAKID, rootSecret); err != nil {
		t.Fatal(err)
	}
	if err := db.EnsureAccount(ctx, "222233334444", "AKIAOTHEROTHER000001", "othersecret"); err != nil {
		t.Fatal(err)
	}
	u, err := db.CreateUser(ctx, acct, "alice", "/eng/", []iam.Tag{{Key: "team", Value: "storage"}})
	if err != nil {
		t.Fatal(err)
	}
	if u.ARN() != "arn:aws:iam::111122223333:user/eng/alice" || len(u.ID) != 21 || !strings.HasPrefix(u.ID, "AIDA") {
		t.Fatalf("user = %+v (ARN %s)", u, u.ARN())
	}
	k, err := db.CreateAccessKey(ctx, acct, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if len(k.ID) != 20 || !strings.HasPrefix(k.ID, "AKIA") || len(k.Secret) != 40 {
		t.Fatalf("key = %+v", k)
	}
	if err := db.PutUserPolicy(ctx, acct, "alice", "inline1", allowAll); err != nil {
		t.Fatal(err)
	}
	mp, err := db.CreatePolicy(ctx, acct, "managed1", "/x/", "a policy", allowAll, nil)
	if err != nil {
		t.Fatal(err)
	}
	if mp.ARN() != "arn:aws:iam::111122223333:policy/x/managed1" {
		t.Fatalf("policy ARN %s", mp.ARN())
	}
	if err := db.AttachUserPolicy(ctx, acct, "alice", mp.ARN()); err != nil {
		t.Fatal(err)
	}
	cat.Close()

	fi, err := os.Stat(filepath.Join(dir, "keys", "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 || fi.Size() != 32 {
		t.Fatalf("master key mode %v size %d", fi.Mode(), fi.Size())
	}

	db, cat = open()
	defer cat.Close()
	if got := db.Accounts(); len(got) != 2 || got[0] != acct || got[1] != "222233334444" {
		t.Fatalf("accounts = %v", got)
	}
	p, secret, err := db.LookupKey(ctx, k.ID)
	if err != nil || secret != k.Secret || p != (iam.Principal{Account: acct, User: "alice"}) {
		t.Fatalf("LookupKey user = %+v %q %v", p, secret, err)
	}
	p, secret, err = db.LookupKey(ctx, rootAKID)
	if err != nil || secret != rootSecret || p != (iam.Principal{Account: acct}) {
		t.Fatalf("LookupKey root = %+v %q %v", p, secret, err)
	}
	if _, s2, err := db.LookupKey(ctx, "AKIAOTHEROTHER000001"); err != nil || s2 != "othersecret" {
		t.Fatalf("LookupKey other account: %q %v", s2, err)
	}
	got, err := db.GetUser(ctx, acct, "ALICE") // names are case-insensitive
	if err != nil || got.ID != u.ID || got.Path != "/eng/" || len(got.Tags) != 1 || !got.Created.Equal(u.Created) {
		t.Fatalf("GetUser after reopen = %+v, %v", got, err)
	}
	pols, err := db.IdentityPolicies(ctx, iam.Principal{Account: acct, User: "alice"})
	if err != nil || len(pols) != 2 {
		t.Fatalf("IdentityPolicies after reopen: %d %v", len(pols), err)
	}
	gp, err := db.GetPolicy(ctx, mp.ARN())
	if err != nil || gp.Attachments != 1 || gp.Description != "a policy" || gp.ID != mp.ID {
		t.Fatalf("GetPolicy after reopen = %+v %v", gp, err)
	}
}

func TestSecretsAreSealed(t *testing.T) {
	db, cat := newDB(t)
	if _, err := db.CreateUser(ctx, acct, "bob", "", nil); err != nil {
		t.Fatal(err)
	}
	k, err := db.CreateAccessKey(ctx, acct, "bob")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := cat.GetConfig(ctx, "iam/account/"+acct)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{k.Secret, rootSecret} {
		if bytes.Contains(raw, []byte(s)) {
			t.Fatalf("catalog value holds a secret in plain text: %s", raw)
		}
	}
	if !bytes.Contains(raw, []byte(k.ID)) {
		t.Fatalf("catalog value lacks the key id: %s", raw)
	}
	// A different master key cannot open the store.
	if _, err := iam.Open(ctx, cat, iam.Options{MasterKey: bytes.Repeat([]byte{8}, 32)}); err == nil ||
		!strings.Contains(err.Error(), "master key") {
		t.Fatalf("Open with the wrong key: %v", err)
	}
	// The right one can.
	db2, err := iam.Open(ctx, cat, iam.Options{MasterKey: bytes.Repeat([]byte{7}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	if _, s, err := db2.LookupKey(ctx, k.ID); err != nil || s != k.Secret {
		t.Fatalf("LookupKey after reopen: %q %v", s, err)
	}
}

func TestMasterKeyFile(t *testing.T) {
	dir := t.TempDir()
	cat := mem.New()
	keyFile := filepath.Join(t.TempDir(), "zonal.key")
	// Hex form (openssl rand -hex 32) is accepted.
	if err := os.WriteFile(keyFile, []byte(strings.Repeat("ab", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := iam.Open(ctx, cat, iam.Options{DataDir: dir, MasterKeyFile: keyFile})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.EnsureAccount(ctx, acct, rootAKID, rootSecret); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "keys", "master.key")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a default key was generated although a key file was given: %v", err)
	}
	// The same key in raw form opens the store.
	raw := bytes.Repeat([]byte{0xab}, 32)
	if err := os.WriteFile(keyFile, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := iam.Open(ctx, cat, iam.Options{DataDir: dir, MasterKeyFile: keyFile}); err != nil {
		t.Fatal(err)
	}
	// A missing key is not regenerated over sealed data.
	os.Remove(keyFile)
	if _, err := iam.Open(ctx, cat, iam.Options{DataDir: dir, MasterKeyFile: keyFile}); err == nil {
		t.Fatal("Open generated a new key over sealed data")
	}
	if _, err := os.Stat(keyFile); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("key file was recreated")
	}
	// A malformed key file is refused.
	os.WriteFile(keyFile, []byte("short"), 0o600)
	if _, err := iam.Open(ctx, mem.New(), iam.Options{MasterKeyFile: keyFile}); err == nil {
		t.Fatal("short key accepted")
	}
}

func TestAccessKeyLimitsAndStatus(t *testing.T) {
	db, _ := newDB(t)
	if _, err := db.CreateUser(ctx, acct, "carol", "", nil); err != nil {
		t.Fatal(err)
	}
	k1, err := db.CreateAccessKey(ctx, acct, "carol")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateAccessKey(ctx, acct, "carol"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateAccessKey(ctx, acct, "carol"); code(err) != iam.CodeLimitExceeded {
		t.Fatalf("third key: %v", err)
	}
	if _, err := db.CreateAccessKey(ctx, acct, "nobody"); code(err) != iam.CodeNoSuchEntity {
		t.Fatalf("key for missing user: %v", err)
	}
	if err := db.UpdateAccessKey(ctx, acct, "carol", k1.ID, iam.KeyInactive); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.LookupKey(ctx, k1.ID); !errors.Is(err, iam.ErrNoSuchKey) {
		t.Fatalf("inactive key looked up: %v", err)
	}
	keys, _ := db.ListAccessKeys(ctx, acct, "carol")
	if len(keys) != 2 || keys[0].ID != k1.ID || keys[0].Status != iam.KeyInactive || keys[0].Secret != "" {
		t.Fatalf("ListAccessKeys = %+v", keys)
	}
	if err := db.UpdateAccessKey(ctx, acct, "carol", k1.ID, iam.KeyActive); err != nil {
		t.Fatal(err)
	}
	if _, s, err := db.LookupKey(ctx, k1.ID); err != nil || s != k1.Secret {
		t.Fatalf("reactivated key: %v", err)
	}
	if err := db.UpdateAccessKey(ctx, acct, "carol", k1.ID, "Expired"); code(err) != iam.CodeValidationError {
		t.Fatalf("bad status: %v", err)
	}
	if err := db.DeleteAccessKey(ctx, acct, "carol", "AKIADOESNOTEXIST0000"); code(err) != iam.CodeNoSuchEntity {
		t.Fatalf("delete missing key: %v", err)
	}
	if err := db.DeleteAccessKey(ctx, acct, "carol", k1.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.LookupKey(ctx, k1.ID); !errors.Is(err, iam.ErrNoSuchKey) {
		t.Fatalf("deleted key looked up: %v", err)
	}
}

func TestDeleteUserConflicts(t *testing.T) {
	db, _ := newDB(t)
	db.CreateUser(ctx, acct, "dave", "", nil)
	if _, err := db.CreateUser(ctx, acct, "DAVE", "", nil); code(err) != iam.CodeEntityAlreadyExists {
		t.Fatalf("duplicate user: %v", err)
	}
	k, _ := db.CreateAccessKey(ctx, acct, "dave")
	db.PutUserPolicy(ctx, acct, "dave", "p", allowAll)
	mp, _ := db.CreatePolicy(ctx, acct, "mp", "", "", allowAll, nil)
	db.AttachUserPolicy(ctx, acct, "dave", mp.ARN())

	if err := db.DeletePolicy(ctx, mp.ARN()); code(err) != iam.CodeDeleteConflict {
		t.Fatalf("DeletePolicy while attached: %v", err)
	}
	steps := []func() error{
		func() error { return db.DeleteAccessKey(ctx, acct, "dave", k.ID) },
		func() error { return db.DeleteUserPolicy(ctx, acct, "dave", "p") },
		func() error { return db.DetachUserPolicy(ctx, acct, "dave", mp.ARN()) },
	}
	for i, step := range steps {
		if err := db.DeleteUser(ctx, acct, "dave"); code(err) != iam.CodeDeleteConflict {
			t.Fatalf("DeleteUser before step %d: %v", i, err)
		}
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.DeleteUser(ctx, acct, "dave"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeletePolicy(ctx, mp.ARN()); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetUser(ctx, acct, "dave"); code(err) != iam.CodeNoSuchEntity {
		t.Fatalf("deleted user: %v", err)
	}
}

func TestPolicyCacheInvalidation(t *testing.T) {
	db, _ := newDB(t)
	p := iam.Principal{Account: acct, User: "erin"}
	db.CreateUser(ctx, acct, "erin", "", nil)
	pols, err := db.IdentityPolicies(ctx, p)
	if err != nil || len(pols) != 0 {
		t.Fatalf("no policies: %v %v", pols, err)
	}
	if err := db.PutUserPolicy(ctx, acct, "erin", "a", allowAll); err != nil {
		t.Fatal(err)
	}
	first, _ := db.IdentityPolicies(ctx, p)
	again, _ := db.IdentityPolicies(ctx, p)
	if len(first) != 1 || first[0] != again[0] {
		t.Fatalf("not cached: %v %v", first, again)
	}
	mp, _ := db.CreatePolicy(ctx, acct, "m", "", "", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","Action":"iam:*","Resource":"*"}}`, nil)
	db.AttachUserPolicy(ctx, acct, "erin", mp.ARN())
	set, _ := db.IdentityPolicySet(ctx, p)
	if len(set.Policies) != 2 || set.Names[0] != "inline:a" || set.Names[1] != mp.ARN() {
		t.Fatalf("after attach: %+v", set)
	}
	if set.Policies[0] == first[0] {
		t.Fatal("cache not invalidated by a change")
	}
	db.DetachUserPolicy(ctx, acct, "erin", mp.ARN())
	db.DeleteUserPolicy(ctx, acct, "erin", "a")
	if pols, _ := db.IdentityPolicies(ctx, p); len(pols) != 0 {
		t.Fatalf("after removal: %d policies", len(pols))
	}
	if pols, err := db.IdentityPolicies(ctx, iam.Principal{Account: acct}); pols != nil || err != nil {
		t.Fatalf("root policies: %v %v", pols, err)
	}
}

func TestPolicyValidation(t *testing.T) {
	db, _ := newDB(t)
	db.CreateUser(ctx, acct, "frank", "", nil)
	if err := db.PutUserPolicy(ctx, acct, "frank", "bad", `{"Statement":`); code(err) != iam.CodeMalformedPolicyDocument {
		t.Fatalf("malformed: %v", err)
	}
	big := fmt.Sprintf(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::%s:user/%s"}}`, acct, strings.Repeat("x", 950))
	if err := db.PutUserPolicy(ctx, acct, "frank", "big1", big); err != nil {
		t.Fatal(err)
	}
	if err := db.PutUserPolicy(ctx, acct, "frank", "big2", big); code(err) != iam.CodeLimitExceeded {
		t.Fatalf("aggregate inline size: %v", err)
	}
	if err := db.PutUserPolicy(ctx, acct, "frank", "big1", big); err != nil {
		t.Fatalf("replacing a policy counts it once: %v", err)
	}
	for _, tc := range []struct{ name, path, code string }{
		{"bad name", "/", iam.CodeValidationError},
		{strings.Repeat("n", 65), "/", iam.CodeValidationError},
		{"ok", "nopath", iam.CodeValidationError},
		{"ok", "/a b/", iam.CodeValidationError},
		{"ok+=,.@-_", "/a/b/", ""},
	} {
		if _, err := db.CreateUser(ctx, acct, tc.name, tc.path, nil); code(err) != tc.code {
			t.Errorf("CreateUser(%q, %q) = %v, want %s", tc.name, tc.path, err, tc.code)
		}
	}
	_, err := db.CreateUser(ctx, acct, "bad name", "/", nil)
	if want := "1 validation error detected: Value 'bad name' at 'userName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+"; err == nil || err.(*iam.Error).Message != want {
		t.Errorf("message = %v", err)
	}
	if _, err := db.GetPolicy(ctx, "arn:aws:iam::aws:policy/AdministratorAccess"); code(err) != iam.CodeNoSuchEntity {
		t.Errorf("AWS managed policy: %v", err)
	}
	for i := 0; i < iam.MaxAttachedPerUser; i++ {
		mp, err := db.CreatePolicy(ctx, acct, fmt.Sprintf("p%d", i), "", "", allowAll, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.AttachUserPolicy(ctx, acct, "frank", mp.ARN()); err != nil {
			t.Fatal(err)
		}
	}
	mp, _ := db.CreatePolicy(ctx, acct, "one-too-many", "", "", allowAll, nil)
	if err := db.AttachUserPolicy(ctx, acct, "frank", mp.ARN()); code(err) != iam.CodeLimitExceeded {
		t.Fatalf("11th attachment: %v", err)
	}
}

func TestEnsureAccountAndPrincipals(t *testing.T) {
	db, _ := newDB(t)
	if err := db.EnsureAccount(ctx, acct, rootAKID, rootSecret); err != nil {
		t.Fatal(err)
	}
	if err := db.EnsureAccount(ctx, acct, "AKIANEWROOTKEY000001", "newsecret"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.LookupKey(ctx, rootAKID); !errors.Is(err, iam.ErrNoSuchKey) {
		t.Fatalf("old root key still works: %v", err)
	}
	if _, s, err := db.LookupKey(ctx, "AKIANEWROOTKEY000001"); err != nil || s != "newsecret" {
		t.Fatalf("new root key: %v", err)
	}
	if err := db.EnsureAccount(ctx, "999988887777", "AKIANEWROOTKEY000001", "x"); err == nil {
		t.Fatal("a root key shared by two accounts was accepted")
	}
	if err := db.EnsureAccount(ctx, "12345", "AKIAX", "x"); err == nil {
		t.Fatal("bad account id accepted")
	}
	db.CreateUser(ctx, acct, "gina", "/ops/", nil)
	for arn, want := range map[string]bool{
		acct:                             true,
		"999999999999":                   false,
		"arn:aws:iam::" + acct + ":root": true,
		"arn:aws:iam::999999999999:root": false,
		"arn:aws:iam::" + acct + ":user/ops/gina": true,
		"arn:aws:iam::" + acct + ":user/gina":     false,
		"arn:aws:iam::" + acct + ":user/ops/hal":  false,
		"arn:aws:iam::" + acct + ":role/x":        false,
	} {
		if got := db.ValidPrincipalARN(arn); got != want {
			t.Errorf("ValidPrincipalARN(%s) = %v", arn, got)
		}
	}
	pp := db.PolicyPrincipal(iam.Principal{Account: acct, User: "gina"})
	if pp.ARN != "arn:aws:iam::"+acct+":user/ops/gina" {
		t.Errorf("PolicyPrincipal = %+v", pp)
	}
	arn, id, err := db.CallerIdentity(iam.Principal{Account: acct})
	if err != nil || arn != "arn:aws:iam::"+acct+":root" || id != acct {
		t.Errorf("CallerIdentity(root) = %s %s %v", arn, id, err)
	}
}

func TestConcurrentWriters(t *testing.T) {
	db, _ := newDB(t)
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("u%02d", i)
			k, ok := userWithKey(t, db, name)
			if !ok {
				return
			}
			if _, s, err := db.LookupKey(ctx, k.ID); err != nil || s != k.Secret {
				t.Errorf("LookupKey: %v", err)
			}
			db.IdentityPolicies(ctx, iam.Principal{Account: acct, User: name})
		}()
	}
	wg.Wait()
	users, _ := db.ListUsers(ctx, acct, "")
	if len(users) != 20 || users[0].Name != "u00" || users[19].Name != "u19" {
		t.Fatalf("ListUsers: %d users", len(users))
	}
}

// userWithKey creates a user with one access key, reporting failures with
// t.Error (it runs in goroutines).
func userWithKey(t *testing.T, db *iam.DB, name string) (iam.AccessKey, bool) {
	if _, err := db.CreateUser(ctx, acct, name, "", nil); err != nil {
		t.Error(err)
		return iam.AccessKey{}, false
	}
	k, err := db.CreateAccessKey(ctx, acct, name)
	if err != nil {
		t.Error(err)
		return iam.AccessKey{}, false
	}
	return k, true
}
