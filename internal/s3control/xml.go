package s3control

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"strconv"
)

// Namespace is the S3 Control API's XML namespace.
const Namespace = "http://awss3control.amazonaws.com/doc/2018-08-20/"

// xmlTag is one Tag element.
type xmlTag struct {
	Key   string `xml:"Key"`
	Value string `xml:"Value"`
}

// tagResourceRequest is TagResource's body. The namespace is not checked:
// the SDKs send it, and a client that leaves it out means the same thing.
type tagResourceRequest struct {
	XMLName xml.Name `xml:"TagResourceRequest"`
	Tags    *struct {
		Tag []xmlTag `xml:"Tag"`
	} `xml:"Tags"`
}

// listTagsForResourceResult is ListTagsForResource's answer.
type listTagsForResourceResult struct {
	XMLName xml.Name `xml:"ListTagsForResourceResult"`
	NS      string   `xml:"xmlns,attr"`
	Tags    []xmlTag `xml:"Tags>Tag"`
}

// decodeTagResource parses a TagResource body into its keys and values,
// in order. Anything but one well-formed TagResourceRequest document with
// a Tags element is MalformedXML.
func decodeTagResource(body []byte) (keys, values []string, err error) {
	var req tagResourceRequest
	if err := decodeDoc(body, &req); err != nil || req.Tags == nil {
		return nil, nil, errMalformedXML
	}
	keys, values = tagLists(req.Tags.Tag)
	return keys, values, nil
}

func tagLists(tags []xmlTag) (keys, values []string) {
	for _, t := range tags {
		keys = append(keys, t.Key)
		values = append(values, t.Value)
	}
	return keys, values
}

// decodeDoc decodes one XML document into v: anything but white space
// after it is MalformedXML.
func decodeDoc(body []byte, v any) error {
	dec := xml.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return errMalformedXML
	}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return errMalformedXML
		}
		if cd, ok := tok.(xml.CharData); !ok || len(bytes.TrimSpace(cd)) != 0 {
			return errMalformedXML
		}
	}
}

// writeXML sends v as a 200 answer.
func writeXML(w http.ResponseWriter, v any) error {
	body, err := xml.Marshal(v)
	if err != nil {
		return err
	}
	body = append([]byte(xml.Header), body...)
	h := w.Header()
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(body)
	return err
}
