package config

import (
	"fmt"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ApplyYAML sets the settings found in a YAML document over s. file names
// the document in messages, which all read "file:line: problem".
func ApplyYAML(s *Settings, file string, data []byte) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return yamlSyntaxError(file, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil // empty file
	}
	root := resolve(doc.Content[0])
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return nil // only comments
	}
	if root.Kind != yaml.MappingNode {
		return fmt.Errorf("%s:%d: expected a mapping of settings (key: value), found %s", file, root.Line, kindName(root))
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], resolve(root.Content[i+1])
		key := k.Value
		if k.Kind != yaml.ScalarNode {
			return fmt.Errorf("%s:%d: a setting name must be a plain key", file, k.Line)
		}
		if first, dup := seen[key]; dup {
			return fmt.Errorf("%s:%d: %s is set twice (first on line %d)", file, k.Line, key, first)
		}
		seen[key] = k.Line
		if key == "accounts" {
			accts, err := parseAccounts(file, v)
			if err != nil {
				return err
			}
			s.Accounts = accts
			continue
		}
		st, ok := byName[key]
		if !ok || key == "config" {
			return fmt.Errorf("%s:%d: unknown setting %q%s", file, k.Line, key, suggest(key))
		}
		if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
			continue // "key:" with no value leaves the default
		}
		var err error
		switch {
		case st.kind == kList && v.Kind == yaml.SequenceNode:
			var items []string
			for _, it := range v.Content {
				it = resolve(it)
				if it.Kind != yaml.ScalarNode {
					return fmt.Errorf("%s:%d: %s: expected a list of strings, found %s", file, it.Line, key, kindName(it))
				}
				if err := st.setList(&Settings{}, []string{it.Value}); err != nil {
					return fmt.Errorf("%s:%d: %s: %w", file, it.Line, key, err)
				}
				items = append(items, it.Value)
			}
			err = st.setList(s, items)
		case v.Kind != yaml.ScalarNode:
			return fmt.Errorf("%s:%d: %s: expected a single value, found %s", file, v.Line, key, kindName(v))
		case st.kind == kList:
			err = st.setList(s, strings.Split(v.Value, ","))
		default:
			err = st.set(s, v.Value)
		}
		if err != nil {
			return fmt.Errorf("%s:%d: %s: %w", file, v.Line, key, err)
		}
	}
	return nil
}

// parseAccounts reads the accounts: list.
func parseAccounts(file string, v *yaml.Node) ([]Account, error) {
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return nil, nil
	}
	if v.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s:%d: accounts: expected a list of {id, root_access_key_id, root_secret_access_key}, found %s", file, v.Line, kindName(v))
	}
	var out []Account
	ids := map[string]int{}
	keys := map[string]int{}
	for _, item := range v.Content {
		item = resolve(item)
		if item.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("%s:%d: accounts: each entry must be a mapping with id, root_access_key_id and root_secret_access_key, found %s", file, item.Line, kindName(item))
		}
		a := Account{Line: item.Line}
		seen := map[string]bool{}
		for i := 0; i+1 < len(item.Content); i += 2 {
			k, fv := item.Content[i], resolve(item.Content[i+1])
			if seen[k.Value] {
				return nil, fmt.Errorf("%s:%d: accounts: %s is set twice in this entry", file, k.Line, k.Value)
			}
			seen[k.Value] = true
			if fv.Kind != yaml.ScalarNode || fv.Tag == "!!null" {
				return nil, fmt.Errorf("%s:%d: accounts: %s: expected a string", file, fv.Line, k.Value)
			}
			switch k.Value {
			case "id":
				if !validAccountID(fv.Value) {
					return nil, fmt.Errorf("%s:%d: accounts: id %q is not a 12-digit account id (quote it to keep leading zeros)", file, fv.Line, fv.Value)
				}
				a.ID = fv.Value
			case "root_access_key_id":
				if fv.Value == "" || strings.ContainsAny(fv.Value, "/ \t") {
					return nil, fmt.Errorf("%s:%d: accounts: root_access_key_id must be non-empty, without '/' or spaces", file, fv.Line)
				}
				a.AccessKeyID = fv.Value
			case "root_secret_access_key":
				if fv.Value == "" {
					return nil, fmt.Errorf("%s:%d: accounts: root_secret_access_key must not be empty", file, fv.Line)
				}
				a.SecretAccessKey = fv.Value
			default:
				hint := ""
				switch strings.ReplaceAll(strings.ToLower(k.Value), "-", "_") {
				case "access_key_id", "root_access_key", "aws_access_key_id":
					hint = " (did you mean root_access_key_id?)"
				case "secret_access_key", "root_secret_key", "aws_secret_access_key", "root_secret_access_key":
					hint = " (did you mean root_secret_access_key?)"
				case "account_id", "account":
					hint = " (did you mean id?)"
				}
				return nil, fmt.Errorf("%s:%d: accounts: unknown key %q%s; an account has id, root_access_key_id and root_secret_access_key", file, k.Line, k.Value, hint)
			}
		}
		for _, need := range []string{"id", "root_access_key_id", "root_secret_access_key"} {
			if !seen[need] {
				return nil, fmt.Errorf("%s:%d: accounts: entry has no %s", file, item.Line, need)
			}
		}
		if first, dup := ids[a.ID]; dup {
			return nil, fmt.Errorf("%s:%d: accounts: account %s is declared twice (first on line %d)", file, item.Line, a.ID, first)
		}
		ids[a.ID] = item.Line
		if first, dup := keys[a.AccessKeyID]; dup {
			return nil, fmt.Errorf("%s:%d: accounts: root_access_key_id %s is used twice (first on line %d)", file, item.Line, a.AccessKeyID, first)
		}
		keys[a.AccessKeyID] = item.Line
		out = append(out, a)
	}
	return out, nil
}

// resolve follows aliases (*anchor).
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlSyntaxError rewrites yaml.v3's "yaml: line N: msg" as "file:N: msg".
func yamlSyntaxError(file string, err error) error {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		return fmt.Errorf("%s:%s: %s", file, m[1], m[2])
	}
	return fmt.Errorf("%s: %s", file, strings.TrimPrefix(msg, "yaml: "))
}

// suggest proposes the setting a mistyped key probably meant.
func suggest(key string) string {
	norm := strings.ToLower(strings.ReplaceAll(key, "_", "-"))
	if _, ok := byName[norm]; ok {
		return fmt.Sprintf(" (did you mean %s?)", norm)
	}
	best, bestD := "", 3
	for _, st := range settings {
		if d := distance(norm, st.name); d < bestD {
			best, bestD = st.name, d
		}
	}
	if best != "" {
		return fmt.Sprintf(" (did you mean %s?)", best)
	}
	return "; known settings: " + strings.Join(Names(), ", ") + ", accounts"
}

// distance is the Levenshtein distance of two short strings.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
