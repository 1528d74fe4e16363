package server

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// startWithMasterKey opens and serves a server on dir with its IAM master
// key at keyFile ("" is the default, inside dir); stop shuts it down.
func startWithMasterKey(t *testing.T, dir, keyFile string) (endpoint string, srv *Server) {
	t.Helper()
	srv, err := Open(Config{Data: dir, AccountID: "000000000000", MasterKeyFile: keyFile,
		RootAccessKey: "AKIASERVERTEST000001", RootSecretKey: "serversecretserversecretserversecret0000",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), srv
}

func stop(srv *Server) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	srv.Shutdown(ctx)
}

func sdkCfg(t *testing.T, akid, secret string) aws.Config {
	os.Unsetenv("AWS_CA_BUNDLE")
	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion("us-east-1"), config.WithRetryMaxAttempts(1),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(akid, secret, "")))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestIdentitiesSurviveRestart: users and keys created through the IAM API
// are in the catalog, sealed with a master key kept where
// --master-key-file (ZONAL_MASTER_KEY_FILE) says, and work after a restart.
func TestIdentitiesSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(t.TempDir(), "master.key")
	ctx := context.Background()

	endpoint, srv := startWithMasterKey(t, dir, keyFile)
	root := awsiam.NewFromConfig(sdkCfg(t, "AKIASERVERTEST000001", "serversecretserversecretserversecret0000"),
		func(o *awsiam.Options) { o.BaseEndpoint = aws.String(endpoint) })
	if _, err := root.CreateUser(ctx, &awsiam.CreateUserInput{UserName: aws.String("keeper")}); err != nil {
		stop(srv)
		t.Fatal(err)
	}
	k, err := root.CreateAccessKey(ctx, &awsiam.CreateAccessKeyInput{UserName: aws.String("keeper")})
	stop(srv)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("master key file: %v %v", fi, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "keys", "master.key")); !os.IsNotExist(err) {
		t.Fatalf("a master key was written into the data folder: %v", err)
	}

	endpoint, srv = startWithMasterKey(t, dir, keyFile)
	defer stop(srv)
	c := sts.NewFromConfig(sdkCfg(t, aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey)),
		func(o *sts.Options) { o.BaseEndpoint = aws.String(endpoint) })
	id, err := c.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(id.Arn) != "arn:aws:iam::000000000000:user/keeper" {
		t.Fatalf("identity after restart: %s", aws.ToString(id.Arn))
	}
	if !srv.Identities().AccountExists("000000000000") {
		t.Fatal("default account missing")
	}
}
