package iam

import (
	"bytes"
	"context"
	"testing"

	"github.com/zonal-dev/zonal/internal/catalog/mem"
)

// TestOlderRevisionNotPublished: a change polled late (written before one
// this node already published) must not undo the newer state.
func TestOlderRevisionNotPublished(t *testing.T) {
	ctx := context.Background()
	cat := mem.New()
	db, err := Open(ctx, cat, Options{MasterKey: bytes.Repeat([]byte{7}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	const acct = "111122223333"
	if err := db.EnsureAccount(ctx, acct, "AKIAROOTROOTROOT0001", "rootsecret"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateUser(ctx, acct, "alice", "", nil); err != nil {
		t.Fatal(err)
	}
	old, _ := cat.GetConfig(ctx, accountNamePrefix+acct)
	k, err := db.CreateAccessKey(ctx, acct, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.apply(acct, old); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.LookupKey(ctx, k.ID); err != nil {
		t.Fatalf("an older revision replaced the newer state: %v", err)
	}
}
