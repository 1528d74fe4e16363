package iam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
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
// Every account is one catalog config value (iam/account/<id>, JSON,
// written synced), plus an index of account ids (iam/accounts). Secrets
// are stored sealed with AES-256-GCM under a master key (see the sealer
// type for what that protects). Writers to one account are serialised; each
// change writes the account's whole value, then publishes a new immutable
// in-memory copy, so readers never wait for a writer and LookupKey, which
// runs on every long-term-key request, is a map read under a read lock.
//
// A DB needs no closing: it holds no resource besides the catalog, which
// its owner closes.
type DB struct {
	cat  catalog.Catalog
	seal *sealer
	now  func() time.Time

	mu       sync.RWMutex
	accounts map[string]*slot
	keys     map[string]keyEntry // every access key id (root and users), active or not

	createMu sync.Mutex // serialises account creation and index writes
	index    []string   // account ids in the index (guarded by createMu)
}

var _ Directory = (*DB)(nil)

type keyEntry struct {
	p      Principal
	secret string
	active bool
}

// slot holds one account: its writer lock and its current state.
type slot struct {
	wmu  sync.Mutex
	st   atomic.Pointer[state]
	keys []string // key ids of this account in DB.keys (guarded by DB.mu)
}

// state is an account as of one change. It is never modified once
// published; a change builds a new one.
type state struct {
	id       string
	created  time.Time
	root     *keyRec
	users    map[string]*userRec   // by lower-case name
	policies map[string]*policyRec // by lower-case name

	cache sync.Map // lower-case user name -> *PolicySet
}

func (s *state) clone() *state {
	c := &state{id: s.id, created: s.created, root: s.root.clone(),
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

// Open loads the identity store kept in cat. See Options for the master key.
func Open(ctx context.Context, cat catalog.Catalog, opts Options) (*DB, error) {
	var idx indexRec
	haveIdx := false
	data, err := cat.GetConfig(ctx, indexName)
	switch {
	case err == nil:
		if err := json.Unmarshal(data, &idx); err != nil {
			return nil, fmt.Errorf("iam: account index is damaged: %w", err)
		}
		haveIdx = len(idx.Accounts) > 0
	case errors.Is(err, catalog.ErrNotFound):
	default:
		return nil, fmt.Errorf("iam: reading account index: %w", err)
	}

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
	if idx.KeyCheck != "" && idx.KeyCheck != s.check {
		return nil, fmt.Errorf("iam: the master key is not the one the identity store was sealed with (set %s to the right key file)", MasterKeyEnv)
	}
	db := &DB{cat: cat, seal: s, now: opts.Now, accounts: map[string]*slot{}, keys: map[string]keyEntry{}}
	if db.now == nil {
		db.now = time.Now
	}
	for _, id := range idx.Accounts {
		st, err := db.load(ctx, id)
		if err != nil {
			return nil, err
		}
		sl := &slot{}
		db.publish(sl, st, id)
		db.index = append(db.index, id)
	}
	return db, nil
}

// load reads and unseals one account's value.
func (db *DB) load(ctx context.Context, id string) (*state, error) {
	data, err := db.cat.GetConfig(ctx, accountNamePrefix+id)
	if err != nil {
		return nil, fmt.Errorf("iam: reading account %s: %w", id, err)
	}
	var r accountRec
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("iam: account %s is damaged: %w", id, err)
	}
	if r.ID != id || r.Root == nil {
		return nil, fmt.Errorf("iam: account %s is damaged", id)
	}
	st := &state{id: id, created: r.Created, root: r.Root,
		users: make(map[string]*userRec, len(r.Users)), policies: make(map[string]*policyRec, len(r.Policies))}
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

// encode renders an account for the catalog: sealed secrets, sorted lists.
func (st *state) encode() ([]byte, error) {
	r := accountRec{V: 1, ID: st.id, Created: st.created, Root: st.root}
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

// publish makes st the account's current state and re-indexes its keys.
func (db *DB) publish(sl *slot, st *state, id string) {
	db.mu.Lock()
	defer db.mu.Unlock()
	for _, k := range sl.keys {
		delete(db.keys, k)
	}
	sl.keys = sl.keys[:0]
	add := func(k *keyRec, p Principal) {
		db.keys[k.ID] = keyEntry{p: p, secret: k.secret, active: k.Status == KeyActive}
		sl.keys = append(sl.keys, k.ID)
	}
	add(st.root, Principal{Account: id})
	for _, u := range st.users {
		for _, k := range u.Keys {
			add(k, Principal{Account: id, User: u.Name})
		}
	}
	sl.st.Store(st)
	db.accounts[id] = sl
}

// errNoChange, returned by an update function, ends the update without a write.
var errNoChange = errors.New("no change")

// update applies fn to a copy of the account's state, persists the result
// and publishes it. Updates of one account are serialised.
func (db *DB) update(ctx context.Context, account string, fn func(st *state) error) error {
	db.mu.RLock()
	sl := db.accounts[account]
	db.mu.RUnlock()
	if sl == nil {
		return ErrNoSuchAccount
	}
	sl.wmu.Lock()
	defer sl.wmu.Unlock()
	next := sl.st.Load().clone()
	if err := fn(next); err != nil {
		if err == errNoChange {
			return nil
		}
		return err
	}
	data, err := next.encode()
	if err != nil {
		return err
	}
	if err := db.cat.PutConfig(ctx, accountNamePrefix+account, data); err != nil {
		return fmt.Errorf("iam: saving account %s: %w", account, err)
	}
	db.publish(sl, next, account)
	return nil
}

// view returns the account's current state.
func (db *DB) view(account string) (*state, error) {
	db.mu.RLock()
	sl := db.accounts[account]
	db.mu.RUnlock()
	if sl == nil {
		return nil, ErrNoSuchAccount
	}
	return sl.st.Load(), nil
}

// keyInUse reports whether an access key id is taken by anyone but p.
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
// working).
func (db *DB) EnsureAccount(ctx context.Context, id, rootAKID, rootSecret string) error {
	if !ValidAccountID(id) {
		return fmt.Errorf("iam: account id %q is not 12 digits", id)
	}
	if rootAKID == "" || rootSecret == "" || strings.ContainsAny(rootAKID, "/ ") {
		return fmt.Errorf("iam: account %s: root access key id and secret must be set (no '/' or space in the id)", id)
	}
	db.createMu.Lock()
	defer db.createMu.Unlock()
	if db.keyInUse(rootAKID, Principal{Account: id}) {
		return fmt.Errorf("iam: account %s: access key %s already belongs to another identity", id, rootAKID)
	}
	setRoot := func(st *state) error {
		if st.root.ID == rootAKID && st.root.secret == rootSecret && st.root.Status == KeyActive {
			return errNoChange
		}
		st.root = &keyRec{ID: rootAKID, Sealed: db.seal.seal(id, rootAKID, rootSecret),
			Status: KeyActive, Created: db.now().UTC().Truncate(time.Second), secret: rootSecret}
		return nil
	}
	db.mu.RLock()
	_, exists := db.accounts[id]
	db.mu.RUnlock()
	if !exists {
		// The account's value may exist without the index naming it (a
		// crash between the two writes): adopt it.
		st, err := db.load(ctx, id)
		if errors.Is(err, catalog.ErrNotFound) {
			now := db.now().UTC().Truncate(time.Second)
			st = &state{id: id, created: now, users: map[string]*userRec{}, policies: map[string]*policyRec{},
				root: &keyRec{ID: rootAKID, Sealed: db.seal.seal(id, rootAKID, rootSecret), Status: KeyActive, Created: now, secret: rootSecret}}
			data, err := st.encode()
			if err != nil {
				return err
			}
			if err := db.cat.PutConfig(ctx, accountNamePrefix+id, data); err != nil {
				return fmt.Errorf("iam: saving account %s: %w", id, err)
			}
		} else if err != nil {
			return err
		}
		db.publish(&slot{}, st, id)
	}
	if err := db.update(ctx, id, setRoot); err != nil {
		return err
	}
	if slices.Contains(db.index, id) {
		return nil
	}
	idx := indexRec{V: 1, KeyCheck: db.seal.check, Accounts: append(slices.Clone(db.index), id)}
	data, err := json.Marshal(&idx)
	if err != nil {
		return err
	}
	if err := db.cat.PutConfig(ctx, indexName, data); err != nil {
		return fmt.Errorf("iam: saving account index: %w", err)
	}
	db.index = idx.Accounts
	return nil
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
