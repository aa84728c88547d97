package tlsrpt

import (
	"reflect"
	"strings"
	"testing"
)

// logSafe is what qmail-send does to a report's text before it logs it
// (qmail-log(5)); mta/send's Safe, copied so that this package's test
// does not import qmail-send's.
func logSafe(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case c == '\n':
			b[i] = '/'
		case c == '%' || c < 33 || c > 126:
			b[i] = '_'
		}
	}
	return string(b)
}

func TestSessionLine(t *testing.T) {
	s := Session{Policy: PolicySTS, Domain: "example.com", MX: "mx1.example.com", IP: "192.0.2.1", Result: Success}
	want := "TLS-RPT policy=sts domain=example.com mx=mx1.example.com ip=192.0.2.1 result=success\n"
	if got := s.Line(); got != want {
		t.Fatalf("%q", got)
	}
	odd := Session{Policy: PolicyTLSA, Domain: "ex ample/x", MX: "", IP: "::1", Result: ValidationFailure}
	if got := odd.Line(); got != "TLS-RPT policy=tlsa domain=ex?ample?x mx=? ip=::1 result=validation-failure\n" {
		t.Fatalf("%q", got)
	}
}

// Sessions reads the lines back from a report's text and from the
// delivery line qmail-send logged for it.
func TestSessions(t *testing.T) {
	a := Session{Policy: PolicySTS, Domain: "example.com", MX: "mx1.example.com", IP: "192.0.2.1", Result: CertificateMismatch}
	b := Session{Policy: PolicySTS, Domain: "example.com", MX: "mx_2.example.com", IP: "2001:db8::2", Result: Success}
	text := "127.0.0.2 accepted message over TLS.\nRemote host said: 250 ok 1/2\n" + a.Line() + b.Line()
	want := []Session{a, b}
	if got := Sessions(text); !reflect.DeepEqual(got, want) {
		t.Fatalf("from the report: %+v", got)
	}
	logged := "@400000006553f1000000000000000000 delivery 17: success: " + logSafe(text)
	if got := Sessions(logged); !reflect.DeepEqual(got, want) {
		t.Fatalf("from the log %q: %+v", logged, got)
	}
	for _, bad := range []string{
		"TLS-RPT policy=sts domain=example.com mx=m ip=192.0.2.1",                        // no result
		"TLS-RPT policy=dane domain=example.com mx=m ip=192.0.2.1 result=success",        // unknown policy
		"TLS-RPT policy=sts domain=example.com mx=m ip=192.0.2.1 result=fine",            // unknown result
		"TLS-RPT policy=sts domain=example.com mx=m ip=nowhere result=success",           // not an address
		"TLS-RPT policy=sts mx=m domain=example.com ip=192.0.2.1 result=success",         // out of order
		"TLS-RPT policy=sts domain= mx=m ip=192.0.2.1 result=success",                    // empty value
		"XTLS-RPT policy=sts domain=example.com mx=m ip=192.0.2.1 result=success",        // not at a line start
		"Remote host said: TLS-RPT policy=sts domain=a mx=m ip=192.0.2.1 result=success", // inside another line
	} {
		if got := Sessions(bad); len(got) != 0 {
			t.Errorf("%q read as %+v", bad, got)
		}
	}
	// A field a later quail adds after the result is passed over.
	if got := Sessions("TLS-RPT policy=sts domain=a mx=m ip=192.0.2.1 result=success reason=x"); len(got) != 1 || got[0].Result != Success {
		t.Errorf("%+v", got)
	}
	if got := Sessions(strings.Repeat("/", 5)); got != nil {
		t.Errorf("%+v", got)
	}
}

func TestPolicyDomain(t *testing.T) {
	if d := (Session{Policy: PolicyTLSA, Domain: "example.com", MX: "mx.example.net"}).PolicyDomain(); d != "mx.example.net" {
		t.Error(d)
	}
	if d := (Session{Policy: PolicySTS, Domain: "example.com", MX: "mx.example.net"}).PolicyDomain(); d != "example.com" {
		t.Error(d)
	}
}
