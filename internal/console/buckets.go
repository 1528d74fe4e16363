package console

import (
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/zonal-dev/zonal/internal/bucketname"
	"github.com/zonal-dev/zonal/internal/catalog"
	"github.com/zonal-dev/zonal/internal/store"
)

type bucketRow struct {
	Name, Zone string
	Created    time.Time
	CanDelete  bool
}

type bucketsData struct {
	Buckets   []bucketRow
	Next      string // the after= of the next page; "" on the last
	CanCreate bool
	Zones     []string
	Name      string // the create form as it was sent, after an error
	Zone      string
}

const bucketsPerPage = 1000

func (c *Console) buckets(w http.ResponseWriter, r *http.Request, s *login) {
	c.bucketsPage(w, r, s, http.StatusOK, "", bucketsData{})
}

// bucketsPage renders the bucket list, with msg above it (a refused create
// or delete, status saying why) and the create form as d holds it.
func (c *Console) bucketsPage(w http.ResponseWriter, r *http.Request, s *login, status int, msg string, d bucketsData) {
	r = quietly(r) // which controls to show: refusals here are no denied change
	ok, err := c.mayList(r, s)
	if err != nil {
		c.internal(w, s, err)
		return
	}
	if !ok {
		c.fail(w, http.StatusForbidden, s, "Your policies do not allow you to list directory buckets (s3express:ListAllMyDirectoryBuckets).")
		return
	}
	after := r.URL.Query().Get("after")
	bs, err := c.cfg.Store.ListBuckets(r.Context(), s.principal.Account, after, bucketsPerPage+1)
	if err != nil {
		c.internal(w, s, err)
		return
	}
	if len(bs) > bucketsPerPage {
		bs = bs[:bucketsPerPage]
		d.Next = bs[len(bs)-1].Name
	}
	for i := range bs {
		b := &bs[i]
		del, err := c.mayDelete(r, s, b.Name, b)
		if err != nil {
			c.internal(w, s, err)
			return
		}
		d.Buckets = append(d.Buckets, bucketRow{Name: b.Name, Zone: b.Zone, Created: b.CreatedAt, CanDelete: del})
	}
	if d.CanCreate, err = c.mayCreate(r, s, "", "", nil); err != nil {
		c.internal(w, s, err)
		return
	}
	d.Zones = c.cfg.Zones
	c.render(w, status, "buckets", s, view{Title: "Directory buckets", Error: msg, Data: d})
}

// bucketName builds the full name from the form: a base name and a zone
// id, or a full name ending in --x-s3 (whose zone must be the one chosen).
// It returns the name and zone, or why they are not acceptable.
func (c *Console) bucketName(base, zone string) (name, z, why string) {
	base, zone = strings.TrimSpace(base), strings.TrimSpace(zone)
	name = base
	if !strings.HasSuffix(base, "--x-s3") {
		if zone == "" {
			return "", "", "Choose the availability zone id (such as use1-az4) the bucket lives in."
		}
		name = base + "--" + zone + "--x-s3"
	}
	z, why = bucketname.Validate(name)
	switch {
	case why != "":
		return "", "", why + " (The full name is " + name + ".)"
	case zone != "" && z != zone:
		return "", "", "The name's zone id (" + z + ") is not the zone chosen (" + zone + ")."
	case len(c.cfg.Zones) > 0 && !slices.Contains(c.cfg.Zones, z):
		return "", "", "This server does not serve zone " + z + "; it serves " + strings.Join(c.cfg.Zones, ", ") + "."
	}
	return name, z, ""
}

func (c *Console) createBucket(w http.ResponseWriter, r *http.Request, s *login) {
	form := bucketsData{Name: r.PostForm.Get("name"), Zone: r.PostForm.Get("zone")}
	name, zone, why := c.bucketName(form.Name, form.Zone)
	// Authorized before the name is judged, as the S3 API does; a name
	// that does not parse is decided as the bucket named in general.
	b, err := c.cfg.Auth.Bucket(r.Context(), name)
	if err != nil {
		c.internal(w, s, err)
		return
	}
	ok, err := c.mayCreate(r, s, name, zone, b)
	if err != nil {
		c.internal(w, s, err)
		return
	}
	if !ok {
		c.fail(w, http.StatusForbidden, s, "Your policies do not allow you to create this bucket (s3express:CreateBucket).")
		return
	}
	if why != "" {
		c.bucketsPage(w, r, s, http.StatusBadRequest, "The bucket was not created: "+why, form)
		return
	}
	err = c.cfg.Store.CreateBucket(r.Context(), catalog.Bucket{
		Name: name, Owner: s.principal.Account, Region: c.cfg.Region, Zone: zone, CreatedAt: c.cfg.Now().UTC(),
	})
	switch {
	case store.IsKind(err, store.BucketOwned):
		c.bucketsPage(w, r, s, http.StatusConflict, "You already have a bucket named "+name+".", form)
	case store.IsKind(err, store.BucketExists):
		c.bucketsPage(w, r, s, http.StatusConflict, "The name "+name+" is taken by another account.", form)
	case err != nil:
		c.internal(w, s, err)
	default:
		c.log.Info("console created bucket", "principal", s.principal.ARN(), "bucket", name)
		back(w, r, name, "")
	}
}

func (c *Console) deleteBucket(w http.ResponseWriter, r *http.Request, s *login) {
	name := r.PostForm.Get("bucket")
	b, err := c.cfg.Auth.Bucket(r.Context(), name)
	if err != nil {
		c.internal(w, s, err)
		return
	}
	if b == nil {
		c.fail(w, http.StatusNotFound, s, "The bucket "+name+" does not exist.")
		return
	}
	ok, err := c.mayDelete(r, s, name, b)
	if err != nil {
		c.internal(w, s, err)
		return
	}
	if !ok {
		c.fail(w, http.StatusForbidden, s, "Your policies do not allow you to delete "+name+" (s3express:DeleteBucket).")
		return
	}
	err = c.cfg.Store.DeleteBucket(r.Context(), name)
	var se *store.Error
	switch {
	case errors.As(err, &se) && se.Kind == store.BucketNotEmpty:
		c.bucketsPage(w, r, s, http.StatusConflict, "The bucket "+name+" was not deleted: it is not empty. "+
			"A directory bucket can only be deleted once it holds no objects and no unfinished multipart uploads.", bucketsData{})
	case errors.As(err, &se) && se.Kind == store.AccessPointsAttached:
		c.bucketsPage(w, r, s, http.StatusConflict, "The bucket "+name+" was not deleted: access points are attached to it. "+
			"Delete them first (S3 Control DeleteAccessPoint).", bucketsData{})
	case errors.As(err, &se) && se.Kind == store.NoSuchBucket:
		c.fail(w, http.StatusNotFound, s, "The bucket "+name+" does not exist.")
	case err != nil:
		c.internal(w, s, err)
	default:
		c.log.Info("console deleted bucket", "principal", s.principal.ARN(), "bucket", name)
		http.Redirect(w, r, Prefix+"buckets", http.StatusSeeOther)
	}
}
