package s3api

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"

	"github.com/zonal-dev/zonal/internal/s3err"
)

type objectAttributes struct {
	XMLName      xml.Name        `xml:"GetObjectAttributesResponse"`
	NS           string          `xml:"xmlns,attr"`
	ETag         string          `xml:"ETag,omitempty"`
	Checksum     *checksumFields `xml:"Checksum"`
	ObjectParts  *objectParts    `xml:"ObjectParts"`
	StorageClass string          `xml:"StorageClass,omitempty"`
	ObjectSize   *int64          `xml:"ObjectSize"`
}

type objectParts struct {
	PartsCount           int              `xml:"PartsCount"`
	PartNumberMarker     int              `xml:"PartNumberMarker"`
	NextPartNumberMarker int              `xml:"NextPartNumberMarker"`
	MaxParts             int              `xml:"MaxParts"`
	IsTruncated          bool             `xml:"IsTruncated"`
	Parts                []attributesPart `xml:"Part"`
}

type attributesPart struct {
	PartNumber int   `xml:"PartNumber"`
	Size       int64 `xml:"Size"`
	checksumFields
}

var knownAttributes = map[string]bool{"ETag": true, "Checksum": true, "ObjectParts": true, "StorageClass": true, "ObjectSize": true}

func (h *Handler) getObjectAttributes(w http.ResponseWriter, r *http.Request, t target) error {
	want := map[string]bool{}
	for _, v := range r.Header.Values("X-Amz-Object-Attributes") {
		for _, a := range strings.Split(v, ",") {
			a = strings.TrimSpace(a)
			if !knownAttributes[a] {
				return s3err.InvalidArgument.Msg("Invalid attribute name specified.")
			}
			want[a] = true
		}
	}
	if len(want) == 0 {
		return s3err.InvalidArgument.Msg("The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty")
	}
	if v, ok := t.Query["versionId"]; ok && (len(v) != 1 || v[0] != "null") {
		return s3err.InvalidArgument.Msg("Invalid version id specified")
	}
	maxParts, err := headerInt(r.Header, "X-Amz-Max-Parts", 1000)
	if err != nil {
		return err
	}
	marker, err := headerInt(r.Header, "X-Amz-Part-Number-Marker", 0)
	if err != nil {
		return err
	}
	obj, err := h.store.Head(r.Context(), t.Bucket, t.Key)
	if err != nil {
		return err
	}
	res := objectAttributes{NS: s3NS}
	if want["ETag"] {
		res.ETag = obj.ETag
	}
	if want["Checksum"] && len(obj.Checksums) > 0 {
		f := newChecksumFields(obj.Checksums, obj.ChecksumType)
		res.Checksum = &f
	}
	if want["StorageClass"] {
		res.StorageClass = storageClass(t.Bucket)
	}
	if want["ObjectSize"] {
		size := obj.Size
		res.ObjectSize = &size
	}
	if want["ObjectParts"] && len(obj.PartList) > 0 {
		// Directory buckets list the parts whether or not they carry checksums.
		alg := ""
		for name := range obj.Checksums {
			alg = name
		}
		op := &objectParts{PartsCount: len(obj.PartList), PartNumberMarker: marker, MaxParts: maxParts}
		for i := marker; i < len(obj.PartList) && len(op.Parts) < maxParts; i++ {
			p := attributesPart{PartNumber: i + 1, Size: obj.PartList[i].Size}
			if alg != "" && obj.PartList[i].Checksum != "" {
				p.checksumFields = newChecksumFields(map[string]string{alg: obj.PartList[i].Checksum}, "")
			}
			op.Parts = append(op.Parts, p)
			op.NextPartNumberMarker = i + 1
		}
		op.IsTruncated = op.NextPartNumberMarker < len(obj.PartList) && len(op.Parts) > 0
		res.ObjectParts = op
	}
	w.Header().Set("Last-Modified", obj.LastModified.UTC().Format(http.TimeFormat))
	return writeXML(w, res)
}

func headerInt(hd http.Header, name string, def int) (int, error) {
	v := hd.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, s3err.InvalidArgument.Msg("%s must be a non-negative integer.", strings.ToLower(name))
	}
	return n, nil
}
