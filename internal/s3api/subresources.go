package s3api

import (
	"net/http"
	"net/url"
	"strings"
)

// Query names decide which operation a request is, so routing must know
// all of them: a sub-resource zonal ignores turns, say, AWS's
// UpdateObjectEncryption (PUT /b/k?encryption) into a PutObject, or
// DeleteBucketMetadataTableConfiguration into a DeleteBucket. Every
// request is checked against the tables below before any handler runs.

// s3SubResources are the query names the S3 API model uses to select an
// operation (its URIs' literal query parts), as of 2026. S3 Control
// operations live under /v20180820/: routing marks them OpS3Control by
// path, and the server serves them with internal/s3control.
var s3SubResources = setOf(
	// buckets
	"abac", "accelerate", "acl", "analytics", "cors", "delete", "encryption",
	"intelligent-tiering", "inventory", "lifecycle", "location", "logging",
	"metadataConfiguration", "metadataInventoryTable", "metadataJournalTable",
	"metadataTable", "metrics", "notification", "object-lock", "ownershipControls",
	"policy", "policyStatus", "publicAccessBlock", "replication", "requestPayment",
	"session", "tagging", "uploads", "versioning", "versions", "website",
	// objects
	"annotation", "attributes", "legal-hold", "partNumber", "renameObject", "restore",
	"retention", "select", "torrent", "uploadId",
	// older names still seen from clients
	"objectLock",
)

// s3Params are the S3 model's ordinary query parameters: they qualify an
// operation and never select one. Presigned-URL parameters and headers
// hoisted into the query (any x-amz-* name) are ordinary too.
var s3Params = setOf(
	"x-id", "list-type", "prefix", "delimiter", "encoding-type", "max-keys", "marker",
	"continuation-token", "fetch-owner", "start-after", "key-marker", "upload-id-marker",
	"max-uploads", "max-parts", "part-number-marker", "versionId", "version-id-marker",
	"id", "select-type", "max-buckets", "bucket-region", "max-directory-buckets",
	"response-cache-control", "response-content-disposition", "response-content-encoding",
	"response-content-language", "response-content-type", "response-expires",
)

// served lists the sub-resources zonal implements, by level and method.
var served = map[bool]map[string][]string{ // object level? -> name -> methods
	false: {
		"policy":     {http.MethodPut, http.MethodGet, http.MethodDelete},
		"encryption": {http.MethodPut, http.MethodGet, http.MethodDelete},
		"lifecycle":  {http.MethodPut, http.MethodGet, http.MethodDelete},
		"uploads":    {http.MethodGet},
		"session":    {http.MethodGet},
		"delete":     {http.MethodPost},
		"metrics":    {http.MethodPut, http.MethodGet, http.MethodDelete},
		"inventory":  {http.MethodPut, http.MethodGet, http.MethodDelete},
	},
	true: {
		"uploads":      {http.MethodPost},
		"uploadId":     {http.MethodPut, http.MethodGet, http.MethodDelete, http.MethodPost},
		"partNumber":   {http.MethodPut, http.MethodGet, http.MethodHead},
		"renameObject": {http.MethodPut},
		"attributes":   {http.MethodGet},
	},
}

// s3ControlPrefix starts every S3 Control API path.
const s3ControlPrefix = "v20180820"

// refusal says why a request's query cannot be served: the name and
// whether it is a known sub-resource (501) or an unknown one (400).
type refusal struct {
	name  string
	known bool
}

// checkQuery returns the first query name that must not reach a handler:
// a sub-resource zonal does not serve for this method at this level, or,
// on a request that writes or deletes, a value-less name in neither table
// (AWS would ignore it, so a typo of a sub-resource would silently become
// a write or a delete).
func checkQuery(method string, bucket, key string, q url.Values) (refusal, bool) {
	if len(q) == 0 {
		return refusal{}, true
	}
	level := served[key != ""]
	if bucket == "" {
		level = nil
	}
	writes := method != http.MethodGet && method != http.MethodHead
	for name, vals := range q {
		if methods, ok := level[name]; ok && contains(methods, method) {
			continue
		}
		if s3SubResources[name] {
			return refusal{name, true}, false
		}
		if s3Params[name] || len(name) > 6 && strings.EqualFold(name[:6], "x-amz-") {
			continue
		}
		if writes && allEmpty(vals) {
			return refusal{name, false}, false
		}
	}
	return refusal{}, true
}

func allEmpty(vals []string) bool {
	for _, v := range vals {
		if v != "" {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}
