// Package guardrails holds no code, only tests that keep the tree in shape
// as it grows: layers import downward (lower storage and protocol packages
// know nothing of S3 errors, HTTP or the packages that serve them), the AWS
// SDK stays in tests and tools, every package has a doc comment, and only
// internal/config reads the environment. They read the module with
// `go list` and go/parser, so they need the go command at test time.
package guardrails
