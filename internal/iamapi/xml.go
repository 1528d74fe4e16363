package iamapi

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"strconv"
	"time"

	"github.com/zonal-dev/zonal/internal/iam"
	"github.com/zonal-dev/zonal/internal/sigv4"
)

// renderResponse renders <ActionResponse xmlns=ns><ActionResult>...
// </ActionResult><ResponseMetadata><RequestId>id</RequestId>
// </ResponseMetadata></ActionResponse>; a nil result has no Result element,
// as AWS answers actions without output (DeleteUser, ...).
func renderResponse(ns, action string, result any, reqID string) []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString("<" + action + "Response xmlns=\"" + ns + "\">")
	if result != nil {
		enc := xml.NewEncoder(&b)
		if err := enc.EncodeElement(result, xml.StartElement{Name: xml.Name{Local: action + "Result"}}); err != nil {
			panic(err) // result types are fixed structs: a bug
		}
		_ = enc.Flush()
	}
	b.WriteString("<ResponseMetadata><RequestId>" + reqID + "</RequestId></ResponseMetadata>")
	b.WriteString("</" + action + "Response>")
	return b.Bytes()
}

type xmlErrorResponse struct {
	XMLName   xml.Name `xml:"ErrorResponse"`
	Xmlns     string   `xml:"xmlns,attr"`
	Error     xmlError `xml:"Error"`
	RequestID string   `xml:"RequestId"`
}

type xmlError struct {
	Type    string `xml:"Type"`
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// writeError answers with IAM's (or STS's) ErrorResponse document.
func writeError(w http.ResponseWriter, service string, e *apiError, reqID string) {
	ns := IAMNamespace
	if service == "sts" {
		ns = STSNamespace
	}
	typ := "Sender"
	if e.Status >= 500 {
		typ = "Receiver"
	}
	doc := xmlErrorResponse{Xmlns: ns, Error: xmlError{Type: typ, Code: e.Code, Message: e.Message}, RequestID: reqID}
	out, _ := xml.Marshal(doc)
	body := append([]byte(xml.Header), out...)
	h := w.Header()
	h.Set("Content-Type", "text/xml")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(e.Status)
	_, _ = w.Write(body)
}

// isoTime formats a date as IAM does (ISO 8601, UTC).
func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// urlEncode percent-encodes a policy document as IAM returns it (RFC 3986:
// everything but unreserved characters).
func urlEncode(s string) string { return sigv4.EncodeQuery(s) }

type xmlTag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

type xmlTags struct {
	Members []xmlTag `xml:"member"`
}

func tagsXML(tags []iam.Tag) *xmlTags {
	if len(tags) == 0 {
		return nil
	}
	t := &xmlTags{}
	for _, tg := range tags {
		t.Members = append(t.Members, xmlTag{Key: tg.Key, Value: tg.Value})
	}
	return t
}

type xmlUser struct {
	Path       string   `xml:"Path,omitempty"`
	UserName   string   `xml:"UserName,omitempty"`
	UserID     string   `xml:"UserId"`
	Arn        string   `xml:"Arn"`
	CreateDate string   `xml:"CreateDate"`
	Tags       *xmlTags `xml:"Tags,omitempty"`
}

func userXML(u iam.User, withTags bool) xmlUser {
	x := xmlUser{Path: u.Path, UserName: u.Name, UserID: u.ID, Arn: u.ARN(), CreateDate: isoTime(u.Created)}
	if withTags {
		x.Tags = tagsXML(u.Tags)
	}
	return x
}

type xmlPolicy struct {
	PolicyName                    string   `xml:"PolicyName"`
	PolicyID                      string   `xml:"PolicyId"`
	Arn                           string   `xml:"Arn"`
	Path                          string   `xml:"Path"`
	DefaultVersionID              string   `xml:"DefaultVersionId"`
	AttachmentCount               int      `xml:"AttachmentCount"`
	PermissionsBoundaryUsageCount int      `xml:"PermissionsBoundaryUsageCount"`
	IsAttachable                  bool     `xml:"IsAttachable"`
	Description                   string   `xml:"Description,omitempty"`
	CreateDate                    string   `xml:"CreateDate"`
	UpdateDate                    string   `xml:"UpdateDate"`
	Tags                          *xmlTags `xml:"Tags,omitempty"`
}

// policyXML renders a managed policy. AWS includes the description only
// in GetPolicy (and CreatePolicy), not in ListPolicies.
func policyXML(p iam.ManagedPolicy, full bool) xmlPolicy {
	x := xmlPolicy{PolicyName: p.Name, PolicyID: p.ID, Arn: p.ARN(), Path: p.Path, DefaultVersionID: iam.DefaultVersion,
		AttachmentCount: p.Attachments, IsAttachable: true, CreateDate: isoTime(p.Created), UpdateDate: isoTime(p.Updated)}
	if full {
		x.Description = p.Description
		x.Tags = tagsXML(p.Tags)
	}
	return x
}
