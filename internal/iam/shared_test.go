package iam_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/zonal-dev/zonal/internal/catalog/mem"
	"github.com/zonal-dev/zonal/internal/iam"
)

var masterKey = bytes.Repeat([]byte{7}, 32)

// twoNodes opens two DBs on one catalog, as two nodes sharing PostgreSQL.
// Both open before anything is stored, the harder case for Refresh.
func twoNodes(t *testing.T) (a, b *iam.DB, cat *mem.Catalog) {
	t.Helper()
	cat = mem.New()
	for _, db := range []**iam.DB{&a, &b} {
		var err error
		if *db, err = iam.Open(ctx, cat, iam.Options{MasterKey: masterKey}); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.EnsureAccount(ctx, acct, rootAKID, rootSecret); err != nil {
		t.Fatal(err)
	}
	refresh(t, b)
	return a, b, cat
}

func refresh(t *testing.T, db *iam.DB) {
	t.Helper()
	if err := db.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestChangesReachOtherNode(t *testing.T) {
	a, b, _ := twoNodes(t)
	if _, s, err := b.LookupKey(ctx, rootAKID); err != nil || s != rootSecret {
		t.Fatalf("root key on the other node: %v", err)
	}
	if id, s, ok := b.RootKey(acct); !ok || id != rootAKID || s != rootSecret {
		t.Fatalf("RootKey on the other node = %s, %v", id, ok)
	}
	if _, err := a.CreateUser(ctx, acct, "alice", "", nil); err != nil {
		t.Fatal(err)
	}
	k, err := a.CreateAccessKey(ctx, acct, "alice")
	if err != nil {
		t.Fatal(err)
	}
	mp, err := a.CreatePolicy(ctx, acct, "all", "", "", allowAll, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.AttachUserPolicy(ctx, acct, "alice", mp.ARN()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.LookupKey(ctx, k.ID); !errors.Is(err, iam.ErrNoSuchKey) {
		t.Fatalf("key known before Refresh: %v", err)
	}
	alice := iam.Principal{Account: acct, User: "alice"}
	if pols, _ := b.IdentityPolicies(ctx, alice); len(pols) != 0 {
		t.Fatalf("policies before Refresh: %d", len(pols))
	}
	refresh(t, b)
	if p, s, err := b.LookupKey(ctx, k.ID); err != nil || s != k.Secret || p != alice {
		t.Fatalf("LookupKey on the other node: %+v %v", p, err)
	}
	if pols, err := b.IdentityPolicies(ctx, alice); err != nil || len(pols) != 1 {
		t.Fatalf("IdentityPolicies on the other node: %d %v", len(pols), err)
	}

	// The policy cache of the old state is not served once a change arrives.
	if err := a.DetachUserPolicy(ctx, acct, "alice", mp.ARN()); err != nil {
		t.Fatal(err)
	}
	refresh(t, b)
	if pols, _ := b.IdentityPolicies(ctx, alice); len(pols) != 0 {
		t.Fatalf("detached policy still applies on the other node: %d", len(pols))
	}

	// Both directions: b's change reaches a.
	if _, err := b.CreateUser(ctx, acct, "bob", "", nil); err != nil {
		t.Fatal(err)
	}
	refresh(t, a)
	if _, err := a.GetUser(ctx, acct, "bob"); err != nil {
		t.Fatalf("user created on the other node: %v", err)
	}
}

func TestKeyRevocationReachesOtherNode(t *testing.T) {
	a, b, _ := twoNodes(t)
	a.CreateUser(ctx, acct, "carol", "", nil)
	k1, _ := a.CreateAccessKey(ctx, acct, "carol")
	k2, _ := a.CreateAccessKey(ctx, acct, "carol")
	refresh(t, b)
	for _, k := range []iam.AccessKey{k1, k2} {
		if _, _, err := b.LookupKey(ctx, k.ID); err != nil {
			t.Fatalf("key %s before revocation: %v", k.ID, err)
		}
	}
	if err := a.UpdateAccessKey(ctx, acct, "carol", k1.ID, iam.KeyInactive); err != nil {
		t.Fatal(err)
	}
	if err := a.DeleteAccessKey(ctx, acct, "carol", k2.ID); err != nil {
		t.Fatal(err)
	}
	refresh(t, b)
	for _, k := range []iam.AccessKey{k1, k2} {
		if _, _, err := b.LookupKey(ctx, k.ID); !errors.Is(err, iam.ErrNoSuchKey) {
			t.Fatalf("revoked key %s still authenticates on the other node: %v", k.ID, err)
		}
	}
	// A node that missed the index (opened on an empty catalog) sees
	// accounts created afterwards too.
	if err := a.EnsureAccount(ctx, "222233334444", "AKIAOTHEROTHER000001", "othersecret"); err != nil {
		t.Fatal(err)
	}
	refresh(t, b)
	if !b.AccountExists("222233334444") {
		t.Fatal("account created on the other node is unknown")
	}
}

func TestWatchPublishesWithinASecond(t *testing.T) {
	a, b, _ := twoNodes(t)
	wctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); b.Watch(wctx, 20*time.Millisecond) }()
	defer func() { cancel(); wg.Wait() }()

	a.CreateUser(ctx, acct, "dave", "", nil)
	k, err := a.CreateAccessKey(ctx, acct, "dave")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "new key on the watching node", func() bool { _, _, err := b.LookupKey(ctx, k.ID); return err == nil })
	if err := a.DeleteAccessKey(ctx, acct, "dave", k.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "deleted key refused on the watching node", func() bool { _, _, err := b.LookupKey(ctx, k.ID); return err != nil })
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 1s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestConcurrentWritersOnTwoNodes(t *testing.T) {
	a, b, cat := twoNodes(t)
	const n = 15
	var wg sync.WaitGroup
	keys := make(chan iam.AccessKey, 2*n)
	for i := 0; i < 2*n; i++ {
		db := a
		if i%2 == 1 {
			db = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if k, ok := userWithKey(t, db, fmt.Sprintf("u%02d", i)); ok {
				keys <- k
			}
		}()
	}
	wg.Wait()
	close(keys)
	refresh(t, a)
	refresh(t, b)
	for _, db := range []*iam.DB{a, b} {
		users, err := db.ListUsers(ctx, acct, "")
		if err != nil || len(users) != 2*n {
			t.Fatalf("ListUsers: %d users, %v; want %d", len(users), err, 2*n)
		}
	}
	got := 0
	for k := range keys {
		got++
		for _, db := range []*iam.DB{a, b} {
			if _, s, err := db.LookupKey(ctx, k.ID); err != nil || s != k.Secret {
				t.Fatalf("key %s of %s lost: %v", k.ID, k.User, err)
			}
		}
	}
	if got != 2*n {
		t.Fatalf("%d keys created", got)
	}
	// A node started now reads the same from the catalog.
	c, err := iam.Open(ctx, cat, iam.Options{MasterKey: masterKey})
	if err != nil {
		t.Fatal(err)
	}
	if users, _ := c.ListUsers(ctx, acct, ""); len(users) != 2*n {
		t.Fatalf("reopened: %d users", len(users))
	}
}

func TestRefusedChangeLeavesStoredValue(t *testing.T) {
	a, b, cat := twoNodes(t)
	if _, err := a.CreateUser(ctx, acct, "erin", "", nil); err != nil {
		t.Fatal(err)
	}
	before, err := cat.GetConfig(ctx, "iam/account/"+acct)
	if err != nil {
		t.Fatal(err)
	}
	// b has not seen erin: the refusal is decided by the stored state.
	if _, err := b.CreateUser(ctx, acct, "ERIN", "", nil); code(err) != iam.CodeEntityAlreadyExists {
		t.Fatalf("duplicate user through the other node: %v", err)
	}
	if err := b.PutUserPolicy(ctx, acct, "nobody", "p", allowAll); code(err) != iam.CodeNoSuchEntity {
		t.Fatalf("policy of a missing user: %v", err)
	}
	if _, err := b.CreateUser(ctx, "999999999999", "x", "", nil); !errors.Is(err, iam.ErrNoSuchAccount) {
		t.Fatalf("user of a missing account: %v", err)
	}
	after, _ := cat.GetConfig(ctx, "iam/account/"+acct)
	if !bytes.Equal(before, after) {
		t.Fatal("a refused change rewrote the stored account")
	}
	// The other way round: b deletes erin, which a still holds.
	if err := b.DeleteUser(ctx, acct, "erin"); err != nil {
		t.Fatal(err)
	}
	if err := a.DeleteUser(ctx, acct, "erin"); code(err) != iam.CodeNoSuchEntity {
		t.Fatalf("deleting a user the other node deleted: %v", err)
	}
}

func TestEnsureAccountOnTwoNodesAtOnce(t *testing.T) {
	cat := mem.New()
	var dbs [2]*iam.DB
	for i := range dbs {
		var err error
		if dbs[i], err = iam.Open(ctx, cat, iam.Options{MasterKey: masterKey}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for _, db := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := db.EnsureAccount(ctx, acct, rootAKID, rootSecret); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	raw, err := cat.GetConfig(ctx, "iam/accounts")
	if err != nil || bytes.Count(raw, []byte(acct)) != 1 {
		t.Fatalf("index = %s, %v", raw, err)
	}
	refresh(t, dbs[1])
	for _, db := range dbs {
		if id, s, ok := db.RootKey(acct); !ok || id != rootAKID || s != rootSecret {
			t.Fatalf("RootKey = %s %v", id, ok)
		}
	}
	// A node with another master key is refused rather than sealing
	// secrets the others cannot open.
	other, err := iam.Open(ctx, cat, iam.Options{MasterKey: bytes.Repeat([]byte{9}, 32)})
	if err == nil {
		t.Fatalf("opened with another master key: %v", other.Accounts())
	}
}

func TestSealerBindsName(t *testing.T) {
	db, _ := newDB(t)
	s := db.Sealer()
	plain := []byte("thirty-two bytes of key material")
	sealed, err := s.Seal("zonal/session-ring", plain)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, plain) {
		t.Fatal("sealed value holds the plain text")
	}
	if got, err := s.Open("zonal/session-ring", sealed); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := s.Open("zonal/other", sealed); err == nil {
		t.Fatal("a value sealed for one name opened under another")
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := s.Open("zonal/session-ring", sealed); err == nil {
		t.Fatal("tampered value opened")
	}
	other, _ := iam.Open(ctx, mem.New(), iam.Options{MasterKey: bytes.Repeat([]byte{9}, 32)})
	sealed[len(sealed)-1] ^= 1
	if _, err := other.Sealer().Open("zonal/session-ring", sealed); err == nil {
		t.Fatal("opened under another master key")
	}
}

// TestNodesStartingTogetherAgreeOnTheRootKey: nodes that each generated a
// root key and open one catalog at once all end with the first key stored
// (EnsureAccountKeepRoot), while EnsureAccount, for a key an operator
// set, still replaces it.
func TestNodesStartingTogetherAgreeOnTheRootKey(t *testing.T) {
	cat := mem.New()
	const nodes = 5
	dbs := make([]*iam.DB, nodes)
	for i := range dbs {
		var err error
		if dbs[i], err = iam.Open(ctx, cat, iam.Options{MasterKey: masterKey}); err != nil {
			t.Fatal(err)
		}
	}
	type key struct{ ak, sk string }
	got := make([]key, nodes)
	var wg sync.WaitGroup
	for i, db := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ak, sk, err := db.EnsureAccountKeepRoot(ctx, acct, fmt.Sprintf("AKIAGENERATED%07d", i), fmt.Sprintf("secret-of-node-%d", i))
			if err != nil {
				t.Error(err)
			}
			got[i] = key{ak, sk}
		}()
	}
	wg.Wait()
	for i, db := range dbs {
		refresh(t, db)
		if got[i] != got[0] {
			t.Fatalf("node %d ended with root key %s, node 0 with %s", i, got[i].ak, got[0].ak)
		}
		if ak, sk, ok := db.RootKey(acct); !ok || ak != got[0].ak || sk != got[0].sk {
			t.Fatalf("node %d's store holds root key %s, the nodes agreed on %s", i, ak, got[0].ak)
		}
	}
	// A key an operator sets replaces it (rotation).
	if err := dbs[1].EnsureAccount(ctx, acct, "AKIAROTATED000000001", "rotated-secret"); err != nil {
		t.Fatal(err)
	}
	refresh(t, dbs[2])
	if ak, _, _ := dbs[2].RootKey(acct); ak != "AKIAROTATED000000001" {
		t.Fatalf("after rotation the root key is %s", ak)
	}
}
