package s3api

import (
	"net/http"
	"net/url"
	"strings"
)

// Op names an S3 operation; the names match the AWS API's.
type Op string

const (
	OpUnknown        Op = "Unknown"
	OpNotImplemented Op = "NotImplemented"
	OpBadQuery       Op = "BadQuery" // a value-less query name S3 does not define, on a write
	// OpS3Control is a request of the S3 Control API (/v20180820/...,
	// path style), which the server hands to internal/s3control before
	// this API sees it; the S3 API alone answers it 501.
	OpS3Control               Op = "S3Control"
	OpListBuckets             Op = "ListBuckets"
	OpListDirectoryBuckets    Op = "ListDirectoryBuckets"
	OpCreateBucket            Op = "CreateBucket"
	OpHeadBucket              Op = "HeadBucket"
	OpDeleteBucket            Op = "DeleteBucket"
	OpCreateSession           Op = "CreateSession"
	OpListObjectsV2           Op = "ListObjectsV2"
	OpListObjects             Op = "ListObjects"
	OpPutObject               Op = "PutObject"
	OpGetObject               Op = "GetObject"
	OpHeadObject              Op = "HeadObject"
	OpDeleteObject            Op = "DeleteObject"
	OpDeleteObjects           Op = "DeleteObjects"
	OpCreateMultipartUpload   Op = "CreateMultipartUpload"
	OpUploadPart              Op = "UploadPart"
	OpUploadPartCopy          Op = "UploadPartCopy"
	OpCompleteMultipartUpload Op = "CompleteMultipartUpload"
	OpAbortMultipartUpload    Op = "AbortMultipartUpload"
	OpListParts               Op = "ListParts"
	OpListMultipartUploads    Op = "ListMultipartUploads"
	OpCopyObject              Op = "CopyObject"
	OpRenameObject            Op = "RenameObject"
	OpGetObjectAttributes     Op = "GetObjectAttributes"
	OpPutBucketEncryption     Op = "PutBucketEncryption"
	OpGetBucketEncryption     Op = "GetBucketEncryption"
	OpDeleteBucketEncryption  Op = "DeleteBucketEncryption"
	OpPutBucketLifecycle      Op = "PutBucketLifecycleConfiguration"
	OpGetBucketLifecycle      Op = "GetBucketLifecycleConfiguration"
	OpDeleteBucketLifecycle   Op = "DeleteBucketLifecycle"
	OpPutBucketPolicy         Op = "PutBucketPolicy"
	OpGetBucketPolicy         Op = "GetBucketPolicy"
	OpDeleteBucketPolicy      Op = "DeleteBucketPolicy"
	// Metrics and inventory configurations (metricsconfig.go, inventory.go).
	OpPutBucketMetrics      Op = "PutBucketMetricsConfiguration"
	OpGetBucketMetrics      Op = "GetBucketMetricsConfiguration"
	OpDeleteBucketMetrics   Op = "DeleteBucketMetricsConfiguration"
	OpListBucketMetrics     Op = "ListBucketMetricsConfigurations"
	OpPutBucketInventory    Op = "PutBucketInventoryConfiguration"
	OpGetBucketInventory    Op = "GetBucketInventoryConfiguration"
	OpDeleteBucketInventory Op = "DeleteBucketInventoryConfiguration"
	OpListBucketInventory   Op = "ListBucketInventoryConfigurations"
)

// servedOps are the operations a request can be routed to (fault rules
// name them).
var servedOps = map[Op]bool{
	OpListBuckets: true, OpListDirectoryBuckets: true, OpCreateBucket: true, OpHeadBucket: true,
	OpDeleteBucket: true, OpCreateSession: true, OpListObjectsV2: true, OpListObjects: true,
	OpPutObject: true, OpGetObject: true, OpHeadObject: true, OpDeleteObject: true,
	OpDeleteObjects: true, OpCreateMultipartUpload: true, OpUploadPart: true, OpUploadPartCopy: true,
	OpCompleteMultipartUpload: true, OpAbortMultipartUpload: true, OpListParts: true,
	OpListMultipartUploads: true, OpCopyObject: true, OpRenameObject: true, OpGetObjectAttributes: true,
	OpPutBucketEncryption: true, OpGetBucketEncryption: true, OpDeleteBucketEncryption: true,
	OpPutBucketLifecycle: true, OpGetBucketLifecycle: true, OpDeleteBucketLifecycle: true,
	OpPutBucketPolicy: true, OpGetBucketPolicy: true, OpDeleteBucketPolicy: true,
	OpPutBucketMetrics: true, OpGetBucketMetrics: true, OpDeleteBucketMetrics: true, OpListBucketMetrics: true,
	OpPutBucketInventory: true, OpGetBucketInventory: true, OpDeleteBucketInventory: true, OpListBucketInventory: true,
}

// KnownOp reports whether name is an operation zonal serves.
func KnownOp(name string) bool { return servedOps[Op(name)] }

// readOnlyOps are the operations a ReadOnly session may perform. HeadBucket
// is included although AWS's list omits it: SDKs sign HeadBucket with the
// session, and refusing it breaks ReadOnly clients (aws-sdk-go-v2#3204).
var readOnlyOps = map[Op]bool{
	OpGetObject: true, OpHeadObject: true, OpListObjectsV2: true, OpListObjects: true,
	OpHeadBucket:          true,
	OpGetObjectAttributes: true, OpListParts: true, OpListMultipartUploads: true,
}

// target is where a request points, as the handlers see it (a copy of
// the classified Request's fields).
type target struct {
	Bucket string
	Key    string
	Op     Op
	// Sub is the query name that made Op NotImplemented or OpBadQuery.
	Sub   string
	Query url.Values // the request's query, parsed once at the edge
}

// route splits a request into bucket and key and names the operation.
// Virtual-hosted style is recognised by a first host label that is a
// directory bucket name (what the SDKs send to hostname endpoints and what
// AWS's zonal hosts look like); everything else is path style.
func route(r *http.Request, q url.Values) target {
	t := target{Query: q}
	path := r.URL.Path
	if label, ok := HostBucket(r.Host); ok {
		t.Bucket = label
		t.Key = strings.TrimPrefix(path, "/")
	} else {
		rest := strings.TrimPrefix(path, "/")
		t.Bucket, t.Key, _ = strings.Cut(rest, "/")
		if i := strings.Index(rest, ":accesspoint/"); i >= 0 && strings.HasPrefix(rest, "arn:") && i < strings.IndexByte(rest, '/') {
			// An access point ARN as the bucket: the SDKs encode its '/'
			// (%2F), which the decoded path no longer shows.
			n := i + len(":accesspoint/")
			name, key, _ := strings.Cut(rest[n:], "/")
			t.Bucket, t.Key = rest[:n]+name, key
		}
		if t.Bucket == s3ControlPrefix {
			// S3 Control (access points, tagging, ...): not a bucket.
			t.Bucket, t.Key, t.Op, t.Sub = "", "", OpS3Control, "S3 Control "+r.Method+" /"+rest
			return t
		}
		// The JS SDK sends /bucket//key against IP endpoints (the endpoint's
		// "/" path lands after the bucket). Go never does, so one leading
		// slash of the key is dropped; the signature covers the raw path.
		if strings.HasPrefix(rest, t.Bucket+"//") {
			t.Key = strings.TrimPrefix(t.Key, "/")
		}
	}
	t.Op = operation(r.Method, t.Bucket, t.Key, q, r.Header, &t.Sub)
	return t
}

func operation(method, bucket, key string, q url.Values, h http.Header, sub *string) Op {
	if why, ok := checkQuery(method, bucket, key, q); !ok {
		*sub = why.name
		if why.known {
			return OpNotImplemented
		}
		return OpBadQuery
	}
	has := func(name string) bool { _, ok := q[name]; return ok }
	if bucket == "" {
		if method != http.MethodGet {
			return OpUnknown
		}
		// GET / is general-purpose ListBuckets (which never shows directory
		// buckets on AWS) unless it is ListDirectoryBuckets: the SDKs say
		// so with x-id, the AWS CLI only by signing for s3express.
		if q.Get("x-id") == "ListDirectoryBuckets" || q.Has("max-directory-buckets") || signedForS3Express(h, q) {
			return OpListDirectoryBuckets
		}
		return OpListBuckets
	}
	if key == "" {
		switch {
		case has("policy"):
			switch method {
			case http.MethodPut:
				return OpPutBucketPolicy
			case http.MethodGet:
				return OpGetBucketPolicy
			case http.MethodDelete:
				return OpDeleteBucketPolicy
			}
			return OpUnknown
		case has("uploads"):
			if method == http.MethodGet {
				return OpListMultipartUploads
			}
			return OpUnknown
		case has("encryption"):
			return pick(method, OpPutBucketEncryption, OpGetBucketEncryption, OpDeleteBucketEncryption)
		case has("lifecycle"):
			return pick(method, OpPutBucketLifecycle, OpGetBucketLifecycle, OpDeleteBucketLifecycle)
		case has("metrics"):
			return configOp(method, q, OpPutBucketMetrics, OpGetBucketMetrics, OpDeleteBucketMetrics, OpListBucketMetrics)
		case has("inventory"):
			return configOp(method, q, OpPutBucketInventory, OpGetBucketInventory, OpDeleteBucketInventory, OpListBucketInventory)
		}
		switch method {
		case http.MethodGet:
			if has("session") {
				return OpCreateSession
			}
			if q.Get("list-type") == "2" {
				return OpListObjectsV2
			}
			return OpListObjects
		case http.MethodPut:
			return OpCreateBucket
		case http.MethodHead:
			return OpHeadBucket
		case http.MethodDelete:
			return OpDeleteBucket
		case http.MethodPost:
			if has("delete") {
				return OpDeleteObjects
			}
		}
		return OpUnknown
	}
	copySource := h.Get("X-Amz-Copy-Source") != ""
	switch method {
	case http.MethodPut:
		switch {
		case has("renameObject"):
			return OpRenameObject
		case has("uploadId") || has("partNumber"):
			if copySource {
				return OpUploadPartCopy
			}
			return OpUploadPart
		case copySource:
			return OpCopyObject
		}
		return OpPutObject
	case http.MethodGet:
		switch {
		case has("uploadId"):
			return OpListParts
		case has("attributes"):
			return OpGetObjectAttributes
		}
		return OpGetObject
	case http.MethodHead:
		return OpHeadObject
	case http.MethodDelete:
		if has("uploadId") {
			return OpAbortMultipartUpload
		}
		return OpDeleteObject
	case http.MethodPost:
		switch {
		case has("uploads"):
			return OpCreateMultipartUpload
		case has("uploadId"):
			return OpCompleteMultipartUpload
		}
	}
	return OpUnknown
}

// pick names the operation of a bucket configuration sub-resource by method.
func pick(method string, put, get, del Op) Op {
	switch method {
	case http.MethodPut:
		return put
	case http.MethodGet:
		return get
	case http.MethodDelete:
		return del
	}
	return OpUnknown
}

// configOp names the operation of a sub-resource holding configurations
// by id: a GET without id lists them.
func configOp(method string, q url.Values, put, get, del, list Op) Op {
	if _, ok := q["id"]; !ok && method == http.MethodGet {
		return list
	}
	return pick(method, put, get, del)
}

// signedForS3Express reports whether the request's credential scope names
// the s3express service (header or presigned form). Only routing looks at
// it before authentication; the signature check comes after, as always.
func signedForS3Express(h http.Header, q url.Values) bool {
	const scope = "/s3express/aws4_request"
	return strings.Contains(h.Get("Authorization"), scope) || strings.HasSuffix(q.Get("X-Amz-Credential"), scope)
}
