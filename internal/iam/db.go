package iam

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/policy"
)

// Catalog config names the store uses: one value per account and an index
// of the accounts.
const (
	indexName         = "iam/accounts"
	accountNamePrefix = "iam/account/"
)

// Options configures Open.
type Options struct {
	// DataDir is the server's data folder; the master key defaults to
	// DataDir/keys/master.key.
	DataDir string
	// MasterKeyFile is the path of the 32-byte master key that seals the
	// secrets (see MasterKeyEnv). When the file does not exist and the
	// store holds no account yet, a new key is generated there (mode 0600).
	// Careful operators keep it outside the data folder.
	MasterKeyFile string
	// MasterKey, when set, is the master key itself (tests); no file is used.
	MasterKey []byte
	// Now is the clock for creation dates; time.Now when nil.
	Now func() time.Time
}

// DB is the persistent identity store: accounts with their root keys,
// users, access keys, inline user policies and customer managed policies.
//
// Every account is one catalog config value (iam/account/<id>, JSON), plus
// an index of account ids (iam/accounts). Secrets are stored sealed with
// AES-256-GCM under a master key (see the sealer type for what that
// protects).
//
// Several DBs, one per node, may share a catalog. Every change is a
// catalog UpdateConfig of the account's stored value: the change is
// decided against what is stored, not against this node's copy, so two
// nodes changing one account at once lose nothing and refuse what the
// stored state forbids. Each stored value carries a revision that grows
// with every write; a node publishes a value only when it is newer than
// the one it holds, so its own writes and the changes it polls (Watch,
// Refresh) may arrive in any order.
//
// Published states are immutable, so readers never wait for a writer, and
// LookupKey, which runs on every long-term-key request, is a map read under
// a read lock.
//
// A DB needs no closing: it holds no resource besides the catalog, which
// its owner closes, and the goroutine of Watch, which its context ends.
type DB struct {
	cat  catalog.Catalog
	seal *sealer
	now  func() time.Time

	mu       sync.RWMutex
	accounts map[string]*slot
	keys     map[string]keyEntry // every access key id (root and users), active or not

	pollMu sync.Mutex // serialises Refresh
	cursor uint64     // ConfigChanges cursor of the "iam/" values applied (guarded by pollMu)
}

var _ Directory = (*DB)(nil)

type keyEntry struct {
	p      Principal
	secret string
	active bool
}

// slot holds one account's published state and the ids it put in DB.keys
// (both guarded by DB.mu).
type slot struct {
	st   *state
	keys []string
}

// state is an account as of one stored revision. It is never modified once
// published; a change builds a new one.
type state struct {
	id       string
	rev      uint64 // the stored value's revision
	raw      []byte // the stored value this state was read from or written as
	created  time.Time
	root     *keyRec
	users    map[string]*userRec   // by lower-case name
	policies map[string]*policyRec // by lower-case name

	cache sync.Map // lower-case user name -> *PolicySet
}

func (s *state) clone() *state {
	c := &state{id: s.id, rev: s.rev, raw: s.raw, created: s.created, root: s.root.clone(),
		users: make(map[string]*userRec, len(s.users)), policies: make(map[string]*policyRec, len(s.policies))}
	for k, u := range s.users {
		c.users[k] = u.clone()
	}
	for k, p := range s.policies {
		c.policies[k] = p.clone()
	}
	return c
}

// attachments counts the users each managed policy (by lower-case name) is attached to.
func (s *state) attachments() map[string]int {
	n := map[string]int{}
	for _, u := range s.users {
		for _, a := range u.Attached {
			n[strings.ToLower(a)]++
		}
	}
	return n
}

type indexRec struct {
	V        int      `json:"v"`
	KeyCheck string   `json:"key_check"`
	Accounts []string `json:"accounts"`
}

// changesPrefix selects the config values Refresh follows: the accounts and
// their index.
const changesPrefix = "iam/"

// Open loads the identity store kept in cat. See Options for the master key.
func Open(ctx context.Context, cat catalog.Catalog, opts Options) (*DB, error) {
	// The cursor is taken before loading, so a change made while loading
	// is seen again by the first Refresh rather than missed.
	_, cursor, err := cat.ConfigChanges(ctx, changesPrefix, 0)
	if err != nil {
		return nil, fmt.Errorf("iam: reading the change cursor: %w", err)
	}
	idx, err := readIndex(ctx, cat)
	if err != nil {
		return nil, err
	}
	haveIdx := len(idx.Accounts) > 0

	key := opts.MasterKey
	if key == nil {
		path := opts.MasterKeyFile
		if path == "" {
			if opts.DataDir == "" {
				return nil, errors.New("iam: no master key: set Options.DataDir or Options.MasterKeyFile")
			}
			path = filepath.Join(opts.DataDir, "keys", "master.key")
		}
		key, _, err = loadMasterKey(path, !haveIdx)
		if err != nil {
			if haveIdx {
				return nil, fmt.Errorf("%w (the identity store's secrets are sealed with this key: restore the file, or set %s to its path)", err, MasterKeyEnv)
			}
			return nil, err
		}
	}
	s, err := newSealer(key)
	if err != nil {
		return nil, err
	}
	db := &DB{cat: cat, seal: s, now: opts.Now, accounts: map[string]*slot{}, keys: map[string]keyEntry{}, cursor: cursor}
	if db.now == nil {
		db.now = time.Now
	}
	if err := db.checkKey(idx); err != nil {
		return nil, err
	}
	if err := db.loadAll(ctx, idx); err != nil {
		return nil, err
	}
	return db, nil
}

// errWrongKey says the index was sealed under another master key.
var errWrongKey = fmt.Errorf("iam: the master key is not the one the identity store was sealed with (set %s to the right key file)", MasterKeyEnv)

func (db *DB) checkKey(idx indexRec) error {
	if idx.KeyCheck != "" && idx.KeyCheck != db.seal.check {
		return errWrongKey
	}
	return nil
}

func readIndex(ctx context.Context, cat catalog.Catalog) (indexRec, error) {
	var idx indexRec
	data, err := cat.GetConfig(ctx, indexName)
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		return idx, nil
	case err != nil:
		return idx, fmt.Errorf("iam: reading account index: %w", err)
	}
	if err := json.Unmarshal(data, &idx); err != nil {
		return idx, fmt.Errorf("iam: account index is damaged: %w", err)
	}
	return idx, nil
}

// loadAll reads every account the index names and publishes those newer
// than what this DB holds.
func (db *DB) loadAll(ctx context.Context, idx indexRec) error {
	for _, id := range idx.Accounts {
		data, err := db.cat.GetConfig(ctx, accountNamePrefix+id)
		if err != nil {
			return fmt.Errorf("iam: reading account %s: %w", id, err)
		}
		if err := db.apply(id, data); err != nil {
			return err
		}
	}
	return nil
}

// apply publishes a stored account value unless this DB already holds
// that revision or a newer one; only then are its secrets unsealed.
func (db *DB) apply(id string, data []byte) error {
	r, err := parseAccount(id, data)
	if err != nil {
		return err
	}
	if cur, _ := db.view(id); cur != nil && cur.rev >= r.Rev {
		return nil
	}
	st, err := db.unseal(r, data)
	if err != nil {
		return err
	}
	db.publish(st)
	return nil
}

func parseAccount(id string, data []byte) (*accountRec, error) {
	var r accountRec
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("iam: account %s is damaged: %w", id, err)
	}
	if r.ID != id || r.Root == nil {
		return nil, fmt.Errorf("iam: account %s is damaged", id)
	}
	return &r, nil
}

// unseal builds the in-memory state of a parsed account value.
func (db *DB) unseal(r *accountRec, raw []byte) (*state, error) {
	id := r.ID
	st := &state{id: id, rev: r.Rev, raw: raw, created: r.Created, root: r.Root,
		users: make(map[string]*userRec, len(r.Users)), policies: make(map[string]*policyRec, len(r.Policies))}
	var err error
	if st.root.secret, err = db.seal.open(id, st.root.ID, st.root.Sealed); err != nil {
		return nil, err
	}
	for _, u := range r.Users {
		for _, k := range u.Keys {
			if k.secret, err = db.seal.open(id, k.ID, k.Sealed); err != nil {
				return nil, err
			}
		}
		st.users[strings.ToLower(u.Name)] = u
	}
	for _, p := range r.Policies {
		st.policies[strings.ToLower(p.Name)] = p
	}
	return st, nil
}

// stored returns a private, modifiable copy of the account as stored in
// cur. When cur is what this DB last published, it is cloned rather than
// parsed and unsealed again.
func (db *DB) stored(id string, cur []byte) (*state, error) {
	if pub, _ := db.view(id); pub != nil && bytes.Equal(pub.raw, cur) {
		return pub.clone(), nil
	}
	r, err := parseAccount(id, cur)
	if err != nil {
		return nil, err
	}
	return db.unseal(r, cur)
}

// encode renders an account for the catalog: sealed secrets, sorted lists.
func (st *state) encode() ([]byte, error) {
	r := accountRec{V: 1, Rev: st.rev, ID: st.id, Created: st.created, Root: st.root}
	for _, u := range st.users {
		r.Users = append(r.Users, u)
	}
	slices.SortFunc(r.Users, func(a, b *userRec) int { return lowerLess(a.Name, b.Name) })
	for _, p := range st.policies {
		r.Policies = append(r.Policies, p)
	}
	slices.SortFunc(r.Policies, func(a, b *policyRec) int { return lowerLess(a.Name, b.Name) })
	return json.Marshal(&r)
}

// advance moves st to the next revision and encodes it as the value to store.
func (st *state) advance() ([]byte, error) {
	st.rev++
	data, err := st.encode()
	st.raw = data
	return data, err
}

// publish makes st the account's current state and re-indexes its keys,
// unless a state of the same or a later revision is published already.
func (db *DB) publish(st *state) {
	db.mu.Lock()
	defer db.mu.Unlock()
	sl := db.accounts[st.id]
	if sl == nil {
		sl = &slot{}
		db.accounts[st.id] = sl
	} else if sl.st.rev >= st.rev {
		return
	}
	for _, k := range sl.keys {
		delete(db.keys, k)
	}
	sl.keys = sl.keys[:0]
	add := func(k *keyRec, p Principal) {
		db.keys[k.ID] = keyEntry{p: p, secret: k.secret, active: k.Status == KeyActive}
		sl.keys = append(sl.keys, k.ID)
	}
	add(st.root, Principal{Account: st.id})
	for _, u := range st.users {
		for _, k := range u.Keys {
			add(k, Principal{Account: st.id, User: u.Name})
		}
	}
	sl.st = st
}

// errNoChange, returned by an update function, ends the update without a write.
var errNoChange = errors.New("no change")

// update applies fn to the account as stored in the catalog, stores the
// result and publishes it, all inside one UpdateConfig: fn decides against
// the stored state, and concurrent updates from any node are serialised by
// the catalog. fn may be called more than once (an engine may retry), each
// time on a fresh copy. fn's errors come back unchanged.
func (db *DB) update(ctx context.Context, account string, fn func(st *state) error) error {
	var next *state
	var fnErr error
	err := db.cat.UpdateConfig(ctx, accountNamePrefix+account, func(cur []byte) ([]byte, error) {
		next, fnErr = nil, nil
		if cur == nil {
			fnErr = ErrNoSuchAccount
			return nil, fnErr
		}
		st, err := db.stored(account, cur)
		if err != nil {
			return nil, err
		}
		if err := fn(st); err != nil {
			if err == errNoChange {
				return nil, nil
			}
			fnErr = err
			return nil, err
		}
		data, err := st.advance()
		next = st
		return data, err
	})
	if err != nil {
		return saveError(account, err, fnErr)
	}
	if next != nil {
		db.publish(next)
	}
	return nil
}

// saveError returns an update function's own error unchanged and wraps
// the catalog's.
func saveError(account string, err, fnErr error) error {
	if err == fnErr {
		return err
	}
	return fmt.Errorf("iam: saving account %s: %w", account, err)
}

// view returns the account's current state.
func (db *DB) view(account string) (*state, error) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	sl := db.accounts[account]
	if sl == nil {
		return nil, ErrNoSuchAccount
	}
	return sl.st, nil
}

// keyInUse reports whether an access key id is taken by anyone but p, as
// far as this DB knows.
func (db *DB) keyInUse(akid string, p Principal) bool {
	db.mu.RLock()
	e, ok := db.keys[akid]
	db.mu.RUnlock()
	return ok && e.p != p
}

// EnsureAccount makes sure an account exists with the given root access
// key; it is called at start-up for the default account and the accounts
// of the configuration file. It is idempotent; when the account exists
// with another root key, the root key is replaced (the old one stops
// working). Nodes starting at once may call it for one account together:
// the catalog serialises them, and the account is created once.
func (db *DB) EnsureAccount(ctx context.Context, id, rootAKID, rootSecret string) error {
	_, _, err := db.ensureAccount(ctx, id, rootAKID, rootSecret, false)
	return err
}

// EnsureAccountKeepRoot is EnsureAccount for a root key nobody chose (one a
// node generated): an account that exists keeps its root key, and the key
// the account ends up with is returned. Nodes sharing a catalog that start
// together without root keys thus agree on the first one stored, in one
// read-modify-write, instead of each replacing the last.
func (db *DB) EnsureAccountKeepRoot(ctx context.Context, id, rootAKID, rootSecret string) (akid, secret string, err error) {
	return db.ensureAccount(ctx, id, rootAKID, rootSecret, true)
}

func (db *DB) ensureAccount(ctx context.Context, id, rootAKID, rootSecret string, keepRoot bool) (string, string, error) {
	if !ValidAccountID(id) {
		return "", "", fmt.Errorf("iam: account id %q is not 12 digits", id)
	}
	if rootAKID == "" || rootSecret == "" || strings.ContainsAny(rootAKID, "/ ") {
		return "", "", fmt.Errorf("iam: account %s: root access key id and secret must be set (no '/' or space in the id)", id)
	}
	taken := fmt.Errorf("iam: account %s: access key %s already belongs to another identity", id, rootAKID)
	// Other accounts are checked against this node's copy (the key id
	// would have to be chosen by an operator twice); the account itself
	// against its stored value below.
	if db.keyInUse(rootAKID, Principal{Account: id}) {
		return "", "", taken
	}
	var seen *state
	var fnErr error
	err := db.cat.UpdateConfig(ctx, accountNamePrefix+id, func(cur []byte) ([]byte, error) {
		seen, fnErr = nil, nil
		now := db.stamp()
		st := &state{id: id, created: now, users: map[string]*userRec{}, policies: map[string]*policyRec{}}
		if cur != nil {
			// The value may exist without the index naming it (a crash
			// between the two writes, or another node's start): adopt it.
			var err error
			if st, err = db.stored(id, cur); err != nil {
				return nil, err
			}
			if (keepRoot && st.root != nil) || (st.root.ID == rootAKID && st.root.Status == KeyActive &&
				subtle.ConstantTimeCompare([]byte(st.root.secret), []byte(rootSecret)) == 1) {
				seen = st
				return nil, nil
			}
			for _, u := range st.users {
				if _, err := findKey(u, rootAKID); err == nil {
					fnErr = taken
					return nil, fnErr
				}
			}
		}
		st.root = &keyRec{ID: rootAKID, Sealed: db.seal.seal(id, rootAKID, rootSecret),
			Status: KeyActive, Created: now, secret: rootSecret}
		data, err := st.advance()
		seen = st
		return data, err
	})
	if err != nil {
		return "", "", saveError(id, err, fnErr)
	}
	if seen != nil {
		db.publish(seen)
		rootAKID, rootSecret = seen.root.ID, seen.root.secret
	}
	return rootAKID, rootSecret, db.addToIndex(ctx, id)
}

// addToIndex names an account in the index, recording the master key's
// check value with it.
func (db *DB) addToIndex(ctx context.Context, id string) error {
	err := db.cat.UpdateConfig(ctx, indexName, func(cur []byte) ([]byte, error) {
		var idx indexRec
		if cur != nil {
			if err := json.Unmarshal(cur, &idx); err != nil {
				return nil, fmt.Errorf("iam: account index is damaged: %w", err)
			}
		}
		if err := db.checkKey(idx); err != nil {
			return nil, err
		}
		if idx.KeyCheck != "" && slices.Contains(idx.Accounts, id) {
			return nil, nil
		}
		idx.V, idx.KeyCheck = 1, db.seal.check
		if !slices.Contains(idx.Accounts, id) {
			idx.Accounts = append(idx.Accounts, id)
		}
		return json.Marshal(&idx)
	})
	if err != nil && err != errWrongKey {
		return fmt.Errorf("iam: saving account index: %w", err)
	}
	return err
}

// Refresh applies the changes other nodes made to the store since the
// last Refresh (or Open): accounts created or changed elsewhere are
// published here, so a key deleted or deactivated on another node stops
// authenticating and a new one starts, and cached policies are dropped
// with the state that held them. After an error nothing is lost: the
// changes are fetched again next time.
func (db *DB) Refresh(ctx context.Context) error {
	db.pollMu.Lock()
	defer db.pollMu.Unlock()
	if db.cursor == 0 {
		// The catalog had recorded no change when the cursor was taken,
		// and cursor 0 asks only for the cursor: load everything instead.
		_, cursor, err := db.cat.ConfigChanges(ctx, changesPrefix, 0)
		if err != nil {
			return fmt.Errorf("iam: polling for changes: %w", err)
		}
		idx, err := readIndex(ctx, db.cat)
		if err == nil {
			err = db.checkKey(idx)
		}
		if err == nil {
			err = db.loadAll(ctx, idx)
		}
		if err != nil {
			return err
		}
		db.cursor = cursor
		return nil
	}
	vals, cursor, err := db.cat.ConfigChanges(ctx, changesPrefix, db.cursor)
	if err != nil {
		return fmt.Errorf("iam: polling for changes: %w", err)
	}
	var first error
	for _, v := range vals {
		// The index needs no handling: an account it gains comes with a
		// value of its own.
		id, ok := strings.CutPrefix(v.Name, accountNamePrefix)
		if !ok {
			continue
		}
		// One damaged value must not hold back the others; the cursor
		// stays, so it is tried again.
		if err := db.apply(id, v.Value); err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		return first
	}
	db.cursor = cursor
	return nil
}

// Watch keeps the DB up to date with changes made by other nodes sharing
// the catalog, calling Refresh every `every` until ctx ends. A failed poll
// is retried at the next tick; a change is never skipped, because the
// cursor only advances past changes that were applied.
func (db *DB) Watch(ctx context.Context, every time.Duration) {
	catalog.Poll(ctx, every, db.Refresh)
}

// RootKey returns an account's current root access key id and secret, as
// this node last saw them. A node started without configured root
// credentials adopts the cluster's with it instead of replacing them.
func (db *DB) RootKey(account string) (akid, secret string, ok bool) {
	st, err := db.view(account)
	if err != nil {
		return "", "", false
	}
	return st.root.ID, st.root.secret, true
}

// LookupKey implements Directory: the owner and secret of an Active access
// key, a user's or an account root's. It is a map read.
func (db *DB) LookupKey(_ context.Context, akid string) (Principal, string, error) {
	db.mu.RLock()
	e, ok := db.keys[akid]
	db.mu.RUnlock()
	if !ok || !e.active {
		return Principal{}, "", ErrNoSuchKey
	}
	return e.p, e.secret, nil
}

// AccountExists reports whether the store holds the account.
func (db *DB) AccountExists(id string) bool {
	db.mu.RLock()
	_, ok := db.accounts[id]
	db.mu.RUnlock()
	return ok
}

// Accounts returns the ids of the store's accounts, sorted.
func (db *DB) Accounts() []string {
	db.mu.RLock()
	ids := make([]string, 0, len(db.accounts))
	for id := range db.accounts {
		ids = append(ids, id)
	}
	db.mu.RUnlock()
	slices.Sort(ids)
	return ids
}

// ValidPrincipalARN reports whether a principal named in a bucket policy
// exists: an account (a 12-digit id or arn:aws:iam::ACCOUNT:root) or a user
// (arn:aws:iam::ACCOUNT:user/PATH/NAME, path included). It suits
// policy.Options.ValidPrincipal.
func (db *DB) ValidPrincipalARN(arn string) bool {
	if ValidAccountID(arn) {
		return db.AccountExists(arn)
	}
	rest, ok := strings.CutPrefix(arn, "arn:aws:iam::")
	if !ok {
		return false
	}
	account, res, ok := strings.Cut(rest, ":")
	if !ok {
		return false
	}
	st, err := db.view(account)
	if err != nil {
		return false
	}
	if res == "root" {
		return true
	}
	pathName, ok := strings.CutPrefix(res, "user/")
	if !ok {
		return false
	}
	i := strings.LastIndexByte(pathName, '/')
	path, name := "/"+pathName[:i+1], pathName[i+1:]
	u := st.users[strings.ToLower(name)]
	return u != nil && u.Path == path && u.Name == name
}

// IdentityPolicies returns the identity policies of a principal: a user's
// inline policies (by name) then its attached managed policies (by name),
// parsed once and cached until the account next changes. An account root
// has none (nil): its access is implicit. A user that no longer exists has
// none either. The policies are shared: callers must not modify them.
func (db *DB) IdentityPolicies(ctx context.Context, p Principal) ([]*policy.Policy, error) {
	set, err := db.IdentityPolicySet(ctx, p)
	return set.Policies, err
}

// PolicySet is a principal's identity policies with their names, for
// logging which policy decided: Names[i] names Policies[i], as
// "inline:NAME" for an inline policy and the ARN of a managed policy.
type PolicySet struct {
	Policies []*policy.Policy
	Names    []string
}

// Name returns the name of policy i, or "" when i is out of range (the
// resource policy of an evaluation is -1).
func (s PolicySet) Name(i int) string {
	if i < 0 || i >= len(s.Names) {
		return ""
	}
	return s.Names[i]
}

// IdentityPolicySet is IdentityPolicies with the policies' names.
func (db *DB) IdentityPolicySet(_ context.Context, p Principal) (PolicySet, error) {
	if p.IsRoot() {
		return PolicySet{}, nil
	}
	st, err := db.view(p.Account)
	if err != nil {
		return PolicySet{}, nil
	}
	k := strings.ToLower(p.User)
	if v, ok := st.cache.Load(k); ok {
		return *v.(*PolicySet), nil
	}
	u := st.users[k]
	if u == nil {
		return PolicySet{}, nil
	}
	set := &PolicySet{
		Policies: make([]*policy.Policy, 0, len(u.Inline)+len(u.Attached)),
		Names:    make([]string, 0, len(u.Inline)+len(u.Attached)),
	}
	for _, ip := range u.Inline {
		pol, err := policy.Parse([]byte(ip.Document), policy.Identity, policy.Options{})
		if err != nil {
			return PolicySet{}, fmt.Errorf("iam: stored policy %s of user %s: %w", ip.Name, u.Name, err)
		}
		set.Policies = append(set.Policies, pol)
		set.Names = append(set.Names, "inline:"+ip.Name)
	}
	for _, name := range u.Attached {
		mp := st.policies[strings.ToLower(name)]
		if mp == nil {
			continue
		}
		pol, err := policy.Parse([]byte(mp.Document), policy.Identity, policy.Options{})
		if err != nil {
			return PolicySet{}, fmt.Errorf("iam: stored managed policy %s: %w", mp.Name, err)
		}
		set.Policies = append(set.Policies, pol)
		set.Names = append(set.Names, PolicyARN(p.Account, mp.Path, mp.Name))
	}
	v, _ := st.cache.LoadOrStore(k, set)
	return *v.(*PolicySet), nil
}

// AccountCreated returns when an account was first created in the store.
func (db *DB) AccountCreated(id string) (time.Time, bool) {
	st, err := db.view(id)
	if err != nil {
		return time.Time{}, false
	}
	return st.created, true
}

// PolicyPrincipal returns the principal as policy evaluation sees it, with
// the user's ARN including its path.
func (db *DB) PolicyPrincipal(p Principal) policy.Principal {
	pp := policy.Principal{Account: p.Account, User: p.User}
	if p.IsRoot() {
		return pp
	}
	if st, err := db.view(p.Account); err == nil {
		if u := st.users[strings.ToLower(p.User)]; u != nil {
			pp.ARN = UserARN(p.Account, u.Path, u.Name)
		}
	}
	return pp
}

// CallerIdentity returns what STS GetCallerIdentity reports for a
// principal: its ARN and unique id (the account id for a root).
func (db *DB) CallerIdentity(p Principal) (arn, userID string, err error) {
	st, err := db.view(p.Account)
	if err != nil {
		return "", "", err
	}
	if p.IsRoot() {
		return RootARN(p.Account), p.Account, nil
	}
	u := st.users[strings.ToLower(p.User)]
	if u == nil {
		return "", "", noSuchUser(p.User)
	}
	return UserARN(p.Account, u.Path, u.Name), u.ID, nil
}
