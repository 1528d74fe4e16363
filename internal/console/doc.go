// Package console is zonal's web console: server-rendered pages under
// /_zonal/console/ for browsing and managing directory buckets, their
// objects and settings, the account's IAM users and policies, and a
// policy simulator, served by the same binary with every asset embedded.
//
// Security model:
//
//   - Sign-in takes an access key id and secret (an account root's or an
//     IAM user's), looked up in the identity store (iam.Directory) and
//     compared in constant time. Failed sign-ins are limited per source
//     address: RemoteAddr, which the server resolves to the client behind
//     a --trusted-proxy (netpeer); forwarded headers from others are ignored.
//   - A signed-in browser holds only a random 32-byte session id, in an
//     HttpOnly, SameSite=Strict cookie scoped to the console's path (Secure
//     over TLS, to zonal or to a trusted proxy). Sessions live in this
//     process's memory with an idle and an absolute expiry; a restart signs
//     everyone out, and behind a load balancer a browser must stay on its
//     node (deploy/cluster/haproxy.cfg does so with a cookie). On every request
//     the session's access key is looked up again (a map read), so a key
//     deleted or deactivated in IAM stops working at once.
//   - Every POST carries the session's CSRF token in a form field,
//     compared in constant time; a POST whose Origin names another host is
//     refused as well. The script's upload requests (raw file bodies)
//     carry it in the X-CSRF-Token header instead, which another site
//     cannot set without a CORS preflight the console never answers.
//   - Every action is authorized as the signed-in principal by
//     auth.Authority.Authorize, with the IAM action the S3 API uses for it:
//     control-plane pages by their own actions, object pages as a
//     long-term-key S3 request is, by the ReadOnly or ReadWrite
//     CreateSession the operation needs (identity and bucket policies).
//     Bucket settings by the regional actions the S3 API uses for them
//     (s3express:PutBucketPolicy, PutEncryptionConfiguration, ...).
//     Identities pages by the IAM action the IAM API authorizes the same
//     call with, on the same resource ARN (iam:CreateAccessKey on the
//     user's ARN, iam:PolicyARN in the context of attach and detach).
//     Controls a principal may not use are hidden, and the request is
//     refused server-side all the same.
//   - The policy simulator decides with the same auth.Authority, for a
//     principal of the signed-in account; since the answer names the
//     deciding statement, simulating a principal needs
//     iam:ListUserPolicies and iam:GetUserPolicy on it, and a bucket
//     policy's statement is named only to who may read that policy.
//   - A new access key's secret appears once, in the answer to the POST
//     that made it, and is never logged or stored in the clear.
//   - Pages are html/template: contextual escaping makes a key such as
//     <img src=x onerror=...> text. No page builds HTML by concatenation.
//     A strict Content-Security-Policy allows only the console's own
//     script and style, and downloads are always attachments of type
//     application/octet-stream, so stored objects never run as pages of
//     the console's origin.
//   - Secrets and session ids are never logged.
package console
