package submit

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/scangate/gateway/smtpauth"
	"github.com/scangate/gateway/smtpserver"
)

func TestCheck(t *testing.T) {
	srv := startServer(t, smtpserver.Config{})
	acct := account(srv, StartTLS)
	rep, err := Check(context.Background(), acct, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Addrs) != 1 || rep.Addrs[0] != "127.0.0.1" || rep.Remote != srv.Addr() || rep.TLS == nil ||
		rep.Mechanism != "PLAIN" || !contains(rep.Extensions, "AUTH PLAIN") {
		t.Errorf("report %+v", rep)
	}

	acct.Password = "wrong"
	rep, err = Check(context.Background(), acct, Options{})
	if !errors.Is(err, smtpauth.ErrCredentials) || rep.TLS == nil || rep.Mechanism != "PLAIN" {
		t.Errorf("wrong password: %+v, %v", rep, err)
	}
}

func TestCheckDNS(t *testing.T) {
	notFound := func(context.Context, string) ([]string, error) {
		return nil, &net.DNSError{Err: "no such host", Name: "smtp.example.invalid", IsNotFound: true}
	}
	rep, err := Check(context.Background(), Account{Server: "smtp.example.invalid:587"}, Options{LookupHost: notFound})
	var se *Error
	if !errors.As(err, &se) || se.Op != "DNS" || IsTemporary(err) || rep.Remote != "" {
		t.Fatalf("Check = %+v, %v", rep, err)
	}
}

func contains(list []string, s string) bool {
	for _, l := range list {
		if strings.HasPrefix(l, s) {
			return true
		}
	}
	return false
}
