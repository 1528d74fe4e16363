package s3api

import (
	"encoding/xml"
	"io"
	"net/http"
	"strconv"

	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/checksum"
	"github.com/zonal-dev/zonal/internal/s3err"
	"github.com/zonal-dev/zonal/internal/store"
)

// readConfigBody reads a bucket configuration document (policy,
// encryption, lifecycle) and verifies its integrity checksum (the SDKs send
// CRC32 for these PUTs).
func (h *Handler) readConfigBody(r *http.Request, c *caller) ([]byte, error) {
	if r.Header.Get("X-Amz-Expected-Bucket-Owner") != "" {
		return nil, s3err.NotImplemented.Msg("Directory buckets do not support x-amz-expected-bucket-owner on bucket configuration requests.")
	}
	exp, err := declaredChecksum(r)
	if err != nil {
		return nil, err
	}
	payload, err := h.payload(r, c)
	if err != nil {
		return nil, err
	}
	doc, err := io.ReadAll(io.LimitReader(payload, maxXMLBody+1))
	if err != nil {
		return nil, bodyError(err)
	}
	if len(doc) > maxXMLBody {
		return nil, s3err.MalformedXML.Msg("The XML document is too large.")
	}
	if exp != nil {
		hs := checksum.NewHasher(exp.Algorithm)
		hs.Write(doc)
		if err := hs.Verify(exp, payload.Trailers()); err != nil {
			return nil, err
		}
	}
	return doc, nil
}

type sseConfiguration struct {
	XMLName xml.Name `xml:"ServerSideEncryptionConfiguration"`
	NS      string   `xml:"xmlns,attr,omitempty"`
	Rules   []struct {
		Default *struct {
			SSEAlgorithm   string `xml:"SSEAlgorithm"`
			KMSMasterKeyID string `xml:"KMSMasterKeyID,omitempty"`
		} `xml:"ApplyServerSideEncryptionByDefault"`
		BucketKeyEnabled *bool `xml:"BucketKeyEnabled"`
	} `xml:"Rule"`
}

// defaultEncryption is what GetBucketEncryption reports for a bucket
// without a configuration when the server encrypts new data: SSE-S3, the
// directory-bucket default.
const defaultEncryption = `<?xml version="1.0" encoding="UTF-8"?>
<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>false</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>`

func (h *Handler) putBucketEncryption(w http.ResponseWriter, r *http.Request, c *caller, t target) error {
	doc, err := h.readConfigBody(r, c)
	if err != nil {
		return err
	}
	var cfg sseConfiguration
	if err := xml.Unmarshal(doc, &cfg); err != nil || len(cfg.Rules) != 1 || cfg.Rules[0].Default == nil {
		return s3err.MalformedXML
	}
	switch cfg.Rules[0].Default.SSEAlgorithm {
	case "AES256":
		if cfg.Rules[0].Default.KMSMasterKeyID != "" {
			return s3err.InvalidArgument.Msg("a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms")
		}
	case "aws:kms":
		return s3err.NotImplemented.Msg("zonal does not support SSE-KMS yet: it has no key provider.")
	default:
		return s3err.MalformedXML.Msg("The SSEAlgorithm must be AES256 or aws:kms.")
	}
	return h.updateBucketConfig(w, r, t, func(b *catalog.Bucket) { b.Encryption = doc })
}

func (h *Handler) getBucketEncryption(w http.ResponseWriter, r *http.Request, t target) error {
	b, err := h.store.Bucket(r.Context(), t.Bucket)
	if err != nil {
		return err
	}
	doc := b.Encryption
	if len(doc) == 0 {
		if h.store.Encryption() == "" {
			// New data is stored as sent (--encrypt-at-rest=false): saying
			// SSE-S3 would claim encryption the server does not apply.
			return s3err.ServerSideEncryptionConfigurationNotFound
		}
		doc = []byte(defaultEncryption)
	}
	return writeRaw(w, "application/xml", doc)
}

func (h *Handler) putBucketLifecycle(w http.ResponseWriter, r *http.Request, c *caller, t target) error {
	if r.Header.Get("X-Amz-Transition-Default-Minimum-Object-Size") != "" {
		return s3err.NotImplemented.Msg("Directory buckets do not support x-amz-transition-default-minimum-object-size.")
	}
	doc, err := h.readConfigBody(r, c)
	if err != nil {
		return err
	}
	if _, err := store.ParseLifecycle(doc); err != nil {
		return err
	}
	return h.updateBucketConfig(w, r, t, func(b *catalog.Bucket) { b.Lifecycle = doc })
}

func (h *Handler) getBucketLifecycle(w http.ResponseWriter, r *http.Request, t target) error {
	b, err := h.store.Bucket(r.Context(), t.Bucket)
	if err != nil {
		return err
	}
	if len(b.Lifecycle) == 0 {
		return s3err.NoSuchLifecycleConfiguration.With("BucketName", t.Bucket)
	}
	// Re-render the stored rules so the answer is canonical S3 XML.
	cfg, err := store.ParseLifecycle(b.Lifecycle)
	if err != nil {
		return internalError(err)
	}
	cfg.NS = s3NS
	return writeXML(w, cfg)
}

func (h *Handler) updateBucketConfig(w http.ResponseWriter, r *http.Request, t target, set func(b *catalog.Bucket)) error {
	err := h.store.UpdateBucket(r.Context(), t.Bucket, func(b *catalog.Bucket) error {
		set(b)
		return nil
	})
	if err != nil {
		return err
	}
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return nil
}

func (h *Handler) deleteBucketConfig(w http.ResponseWriter, r *http.Request, t target, clear func(b *catalog.Bucket)) error {
	err := h.store.UpdateBucket(r.Context(), t.Bucket, func(b *catalog.Bucket) error {
		clear(b)
		return nil
	})
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func writeRaw(w http.ResponseWriter, contentType string, body []byte) error {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
	return nil
}
