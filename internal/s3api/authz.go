package s3api

import (
	"slices"

	"github.com/zonal-dev/zonal/internal/auth"
)

// PolicySource supplies the identity side of policy decisions; iam.DB
// implements it. Without one, only account roots exist and each may do
// everything in its own account.
type PolicySource = auth.PolicySource

// controlActions are the regional (control-plane) operations: decided by
// identity policies of the bucket owner's account only, as AWS documents.
var controlActions = map[Op]string{
	OpCreateBucket:         "s3express:CreateBucket",
	OpDeleteBucket:         "s3express:DeleteBucket",
	OpListDirectoryBuckets: "s3express:ListAllMyDirectoryBuckets",
	OpPutBucketPolicy:      "s3express:PutBucketPolicy",
	OpGetBucketPolicy:      "s3express:GetBucketPolicy",
	OpDeleteBucketPolicy:   "s3express:DeleteBucketPolicy",
	// AWS authorizes the deletes with the Put actions.
	OpPutBucketEncryption:    "s3express:PutEncryptionConfiguration",
	OpGetBucketEncryption:    "s3express:GetEncryptionConfiguration",
	OpDeleteBucketEncryption: "s3express:PutEncryptionConfiguration",
	OpPutBucketLifecycle:     "s3express:PutLifecycleConfiguration",
	OpGetBucketLifecycle:     "s3express:GetLifecycleConfiguration",
	OpDeleteBucketLifecycle:  "s3express:PutLifecycleConfiguration",
	OpPutBucketMetrics:       "s3express:PutMetricsConfiguration",
	OpGetBucketMetrics:       "s3express:GetMetricsConfiguration",
	OpDeleteBucketMetrics:    "s3express:PutMetricsConfiguration",
	OpListBucketMetrics:      "s3express:GetMetricsConfiguration",
	OpPutBucketInventory:     "s3express:PutInventoryConfiguration",
	OpGetBucketInventory:     "s3express:GetInventoryConfiguration",
	OpDeleteBucketInventory:  "s3express:PutInventoryConfiguration",
	OpListBucketInventory:    "s3express:GetInventoryConfiguration",
}

// controlReads are the control-plane operations that change nothing; a
// ReadOnly session may sign them (the rest are refused before policy).
var controlReads = map[Op]bool{
	OpListDirectoryBuckets: true, OpGetBucketPolicy: true,
	OpGetBucketEncryption: true, OpGetBucketLifecycle: true,
	OpGetBucketMetrics: true, OpListBucketMetrics: true, OpGetBucketInventory: true, OpListBucketInventory: true,
}

// sessionControlActions are the regional actions that earn a ControlOnly
// session when CreateSession names no mode and neither mode is allowed
// (auth.Request.ControlActions): every control-plane action on the bucket
// but listing, and CreateBucket only while the bucket does not exist.
func sessionControlActions(bucketExists bool) []string {
	if bucketExists {
		return controlOnlyExisting
	}
	return controlOnlyNew
}

var controlOnlyNew, controlOnlyExisting = func() (all, existing []string) {
	for op, a := range controlActions {
		if op != OpListDirectoryBuckets && !slices.Contains(all, a) {
			all = append(all, a)
		}
	}
	slices.Sort(all)
	for _, a := range all {
		if a != controlActions[OpCreateBucket] {
			existing = append(existing, a)
		}
	}
	return all, existing
}()
