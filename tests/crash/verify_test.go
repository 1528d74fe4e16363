package crash

import (
	"context"
	"crypto/sha256"
	"fmt"
	"hash/crc32"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// verifyStats count what a verification pass checked.
type verifyStats struct {
	keys, present             int
	checksumsFull             int // FULL_OBJECT CRC32 reported and equal to the CRC32 of the bytes
	checksumsComposite        int // COMPOSITE CRC32 reported and equal to the model's
	noChecksum                int // present objects without a checksum
	resolvedPre, resolvedPost int // pending operations found not applied / applied
}

// observe GETs every key (checksum mode on: the SDK validates a
// full-object checksum while the body is read).
func observe(c *s3.Client, bucket string, keys []string) map[string]observed {
	out := make(map[string]observed, len(keys))
	var mu sync.Mutex
	jobs := make(chan string)
	var wg sync.WaitGroup
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range jobs {
				o := get(c, bucket, k)
				mu.Lock()
				out[k] = o
				mu.Unlock()
			}
		}()
	}
	for _, k := range keys {
		jobs <- k
	}
	close(jobs)
	wg.Wait()
	return out
}

func get(c *s3.Client, bucket, key string) observed {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	resp, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil {
		if ei := inspect(err); ei.Status == 404 && ei.Code == "NoSuchKey" {
			return observed{}
		}
		return observed{err: "GetObject: " + describe(err)}
	}
	defer resp.Body.Close()
	h := sha256.New()
	cr := crc32.NewIEEE()
	n, err := io.Copy(io.MultiWriter(h, cr), resp.Body)
	if err != nil {
		return observed{err: fmt.Sprintf("reading the body after %d bytes (SDK checksum validation included): %v", n, err)}
	}
	o := observed{present: true, size: n, crc: cr.Sum32(), etag: aws.ToString(resp.ETag),
		crc32Hdr: aws.ToString(resp.ChecksumCRC32), ctype: string(resp.ChecksumType)}
	copy(o.sum[:], h.Sum(nil))
	if resp.ContentLength != nil && *resp.ContentLength != n {
		o.err = fmt.Sprintf("Content-Length %d but %d bytes", *resp.ContentLength, n)
	}
	return o
}

// verify checks the server against the model after a restart: every key a
// worker holds definitely is exactly in that state; the keys of an
// operation that had no answer are all in their before or all in their
// after state (then the model takes what it found); checksums verify; the
// listing shows exactly the present keys with their sizes. It returns the
// violations found.
func verify(c *s3.Client, bucket string, workers []*worker, stats *opStats, vs *verifyStats) []string {
	var keys []string
	for _, w := range workers {
		keys = append(keys, w.keys...)
	}
	obs := observe(c, bucket, keys)
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	vs.keys += len(keys)

	for _, w := range workers {
		inPending := map[string]int{}
		if p := w.pending; p != nil {
			for i, k := range p.keys {
				inPending[k] = i
			}
			pre, post := true, true
			for i, k := range p.keys {
				pre = pre && obs[k].matches(p.pre[i])
				post = post && obs[k].matches(p.post[i])
			}
			var found []string
			for _, k := range p.keys {
				found = append(found, k+"="+obs[k].String())
			}
			switch {
			case pre:
				stats.add(stats.wentPre, p.kind)
				vs.resolvedPre++
				for i, k := range p.keys {
					w.state[k] = p.pre[i]
				}
			case post:
				stats.add(stats.wentPost, p.kind)
				vs.resolvedPost++
				for i, k := range p.keys {
					w.state[k] = p.post[i]
				}
			default:
				bad("TORN/HALF-APPLIED: %s in flight at the kill on %v: found %v; allowed all of %v (before) or all of %v (after)",
					p.kind, p.keys, found, p.pre, p.post)
				for _, k := range p.keys {
					w.state[k] = adopt(obs[k], "unexplained state after "+p.kind)
				}
			}
			w.pending = nil
		}
		for _, k := range w.keys {
			o := obs[k]
			if _, ok := inPending[k]; !ok {
				want := w.state[k]
				switch {
				case o.err != "":
					bad("%s: %s (model: %v)", k, o.err, want)
				case o.matches(want):
				case want != nil && !o.present:
					bad("LOST: %s was acknowledged as %v but is absent", k, want)
				case want == nil:
					bad("RESURRECTED: %s was acknowledged as deleted/renamed away (or never written) but holds %v", k, o)
				default:
					bad("WRONG CONTENT: %s holds %v, acknowledged %v", k, o, want)
				}
				if !o.matches(want) {
					w.state[k] = adopt(o, "unexplained state")
				}
			}
			v := w.state[k]
			if v == nil || !o.present || o.err != "" {
				continue
			}
			vs.present++
			v.etag = o.etag
			switch {
			case o.crc32Hdr == "":
				vs.noChecksum++
			case o.ctype == string(types.ChecksumTypeComposite):
				if want := v.compositeCRC32(); o.crc32Hdr != want {
					bad("CHECKSUM: %s reports COMPOSITE CRC32 %s, its parts give %s", k, o.crc32Hdr, want)
				} else {
					vs.checksumsComposite++
				}
			default:
				if want := b64u32(o.crc); o.crc32Hdr != want {
					bad("CHECKSUM: %s reports CRC32 %s (type %q), its bytes give %s", k, o.crc32Hdr, o.ctype, want)
				} else {
					vs.checksumsFull++
				}
			}
		}
	}

	// The listing agrees with the model.
	listed := map[string]int64{}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket), MaxKeys: aws.Int32(17)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			bad("ListObjectsV2: %s", describe(err))
			break
		}
		for _, o := range page.Contents {
			k := aws.ToString(o.Key)
			if _, dup := listed[k]; dup {
				bad("LISTING: %s listed twice", k)
			}
			listed[k] = aws.ToInt64(o.Size)
		}
	}
	for _, w := range workers {
		for _, k := range w.keys {
			v := w.state[k]
			size, ok := listed[k]
			switch {
			case v != nil && !ok:
				bad("LISTING: %s (%v) is missing from ListObjectsV2", k, v)
			case v == nil && ok:
				bad("LISTING: %s is absent but ListObjectsV2 shows it (%d bytes)", k, size)
			case v != nil && size != v.size:
				bad("LISTING: %s listed with %d bytes, holds %d", k, size, v.size)
			}
			delete(listed, k)
		}
	}
	for k := range listed {
		bad("LISTING: unknown key %s listed", k)
	}
	slices.Sort(problems)
	return problems
}

// adopt turns an unexplained observation into the model's state so later
// cycles compare against what is really there (the violation is already
// reported).
func adopt(o observed, why string) *version {
	if !o.present || o.err != "" {
		return nil
	}
	return &version{size: o.size, sum: o.sum, crc: o.crc, etag: o.etag, origin: why}
}
