package policy

import "testing"

func TestPublic(t *testing.T) {
	const arn = "arn:aws:s3express:us-east-1:111122223333:bucket/b--use1-az4--x-s3"
	stmt := func(s string) string {
		return `{"Version":"2012-10-17","Statement":[` + s + `]}`
	}
	cases := []struct {
		name   string
		doc    string
		public bool
	}{
		{"star principal", `{"Effect":"Allow","Principal":"*","Action":"s3express:CreateSession","Resource":"` + arn + `"}`, true},
		{"AWS star", `{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3express:CreateSession","Resource":"` + arn + `"}`, true},
		{"AWS star in a list", `{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":"s3express:CreateSession","Resource":"` + arn + `"}`, true},
		{"allow with NotPrincipal", `{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"s3express:CreateSession","Resource":"` + arn + `"}`, true},
		{"deny star", `{"Effect":"Deny","Principal":"*","Action":"s3express:CreateSession","Resource":"` + arn + `"}`, false},
		{"deny NotPrincipal", `{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3express:CreateSession","Resource":"` + arn + `"}`, false},
		{"account principal", `{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"s3express:CreateSession","Resource":"` + arn + `"}`, false},
		{"star pinned to an account", `{"Effect":"Allow","Principal":"*","Action":"s3express:CreateSession","Resource":"` + arn + `","Condition":{"StringEquals":{"aws:PrincipalAccount":"444455556666"}}}`, false},
		{"star pinned to a network", `{"Effect":"Allow","Principal":"*","Action":"s3express:CreateSession","Resource":"` + arn + `","Condition":{"IpAddress":{"aws:SourceIp":"10.1.0.0/16"}}}`, false},
		{"star with a wide network", `{"Effect":"Allow","Principal":"*","Action":"s3express:CreateSession","Resource":"` + arn + `","Condition":{"IpAddress":{"aws:SourceIp":"0.0.0.0/1"}}}`, true},
		{"star with a wildcard account", `{"Effect":"Allow","Principal":"*","Action":"s3express:CreateSession","Resource":"` + arn + `","Condition":{"StringLike":{"aws:PrincipalAccount":"4444*"}}}`, true},
		{"star with IfExists", `{"Effect":"Allow","Principal":"*","Action":"s3express:CreateSession","Resource":"` + arn + `","Condition":{"StringEqualsIfExists":{"aws:PrincipalAccount":"444455556666"}}}`, true},
		{"star delegated to an account's access points", `{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3express:CreateSession","Resource":"` + arn + `","Condition":{"StringEquals":{"s3express:DataAccessPointAccount":"111122223333"}}}`, false},
		{"star delegated to one access point", `{"Effect":"Allow","Principal":"*","Action":"s3express:CreateSession","Resource":"` + arn + `","Condition":{"ArnEquals":{"s3express:DataAccessPointArn":"arn:aws:s3express:us-east-1:111122223333:accesspoint/ap1--use1-az4--xa-s3"}}}`, false},
		{"star with an unrelated condition", `{"Effect":"Allow","Principal":"*","Action":"s3express:CreateSession","Resource":"` + arn + `","Condition":{"StringEquals":{"s3express:SessionMode":"ReadOnly"}}}`, true},
	}
	for _, c := range cases {
		p, err := Parse([]byte(stmt(c.doc)), Resource, Options{DirectoryBucket: true})
		if err != nil {
			t.Fatalf("%s: parse: %v", c.name, err)
		}
		if _, got := p.Public(); got != c.public {
			t.Errorf("%s: Public() = %v, want %v", c.name, got, c.public)
		}
	}
}

func TestWithoutPublic(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":[
		{"Sid":"Everyone","Effect":"Allow","Principal":"*","Action":"s3express:CreateSession","Resource":"*"},
		{"Sid":"Partner","Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"s3express:CreateSession","Resource":"*"}]}`
	p, err := Parse([]byte(doc), Resource, Options{DirectoryBucket: true})
	if err != nil {
		t.Fatal(err)
	}
	q := p.WithoutPublic()
	if len(q.Statements) != 1 || q.Statements[0].Sid != "Partner" || len(p.Statements) != 2 {
		t.Fatalf("WithoutPublic kept %d statements (%+v); original now has %d", len(q.Statements), q.Statements, len(p.Statements))
	}
	req := Request{Principal: Principal{Account: "999988887777"}, Action: "s3express:CreateSession",
		Resource: "arn:aws:s3express:us-east-1:111122223333:bucket/b--use1-az4--x-s3", ResourceAccount: "111122223333"}
	if Evaluate(req, nil, p) != Allow || Evaluate(req, nil, q) == Allow {
		t.Fatal("a stranger is granted by the filtered policy, or was not by the public one")
	}
}
