package smtpd

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// namedReplies are the replies of replies.go, by name.
var namedReplies = map[string]Reply{
	"replyUnimplemented":        replyUnimplemented,
	"replySyntax":               replySyntax,
	"replyWantMail":             replyWantMail,
	"replyWantRcpt":             replyWantRcpt,
	"replyBadMailFrom":          replyBadMailFrom,
	"replyNoGateway":            replyNoGateway,
	"replyNoop":                 replyNoop,
	"replyVrfy":                 replyVrfy,
	"replyQueueStart":           replyQueueStart,
	"replyTooBig":               replyTooBig,
	"replyLooping":              replyLooping,
	"replyTimeout":              replyTimeout,
	"replyNoControls":           replyNoControls,
	"replyStrayNewline":         replyStrayNewline,
	"replyGoAhead":              replyGoAhead,
	"replyFlushed":              replyFlushed,
	"replyMailOK":               replyMailOK,
	"replyRcptOK":               replyRcptOK,
	"replyHelp":                 replyHelp,
	"replyRcpthostsUnreadable":  replyRcpthostsUnreadable,
	"replyNoDNSConfig":          replyNoDNSConfig,
	"replyTooManyErrors":        replyTooManyErrors,
	"replyLineTooLong":          replyLineTooLong,
	"replyTooManyRcpts":         replyTooManyRcpts,
	"replyNested":               replyNested,
	"replySizeSyntax":           replySizeSyntax,
	"replyBodySyntax":           replyBodySyntax,
	"replyAddressForm":          replyAddressForm,
	"replyBadHelo":              replyBadHelo,
	"replyHeloUnchecked":        replyHeloUnchecked,
	"replySenderNoRDNS":         replySenderNoRDNS,
	"replySenderNoDNS":          replySenderNoDNS,
	"replySenderDNSTemp":        replySenderDNSTemp,
	"replyBadRcptTo":            replyBadRcptTo,
	"replyNoMailbox":            replyNoMailbox,
	"replyNoMailbox450":         replyNoMailbox450,
	"replyRcptTemp":             replyRcptTemp,
	"replyWarlord":              replyWarlord,
	"replySPFTemp":              replySPFTemp,
	"replyTLSReady":             replyTLSReady,
	"replyTLSActive":            replyTLSActive,
	"replyTLSSyntax":            replyTLSSyntax,
	"replyTLSRequired":          replyTLSRequired,
	"replyAuthUnavailable":      replyAuthUnavailable,
	"replyAuthDone":             replyAuthDone,
	"replyAuthInMail":           replyAuthInMail,
	"replyAuthType":             replyAuthType,
	"replyAuthCannotCheck":      replyAuthCannotCheck,
	"replyAuthCancelled":        replyAuthCancelled,
	"replyAuthMalformed":        replyAuthMalformed,
	"replyAuthEncryption":       replyAuthEncryption,
	"replyAuthTooMany":          replyAuthTooMany,
	"replyAuthOK":               replyAuthOK,
	"replyAuthFailed":           replyAuthFailed,
	"replyAuthRequired":         replyAuthRequired,
	"replyAuthTemp":             replyAuthTemp,
	"replySPFFail":              replySPFFail("example.com", "192.0.2.1", ""),
	"replySPFFail(explanation)": replySPFFail("example.com", "192.0.2.1", "see http://example.com/why"),
	"replySPFSoftFail":          replySPFSoftFail("example.com", "192.0.2.1"),
	"replySPFNeutral":           replySPFNeutral("example.com", "192.0.2.1"),
	"replySPFNotPass":           replySPFNotPass("none"),
}

// originalCodes are the replies whose text ends in the original's code
// while the enhanced code is the RFC's (see replies.go).
var originalCodes = map[string]bool{
	"replyAuthOK": true, "replyAuthFailed": true, "replyAuthRequired": true,
	"replySPFFail": true, "replySPFFail(explanation)": true, "replySPFSoftFail": true,
	"replySPFNeutral": true, "replySPFNotPass": true,
}

// Both codes of a reply say the same: the class of the enhanced code is
// the reply code's first digit, and where qmail's text ends in
// "(#x.y.z)" that is the enhanced code, except where the text is the
// original's and the RFC's code differs (originalCodes).
func TestRepliesAgree(t *testing.T) {
	for name, r := range namedReplies {
		if r.Code < 200 || r.Code > 599 || strings.ContainsAny(r.Text, "\r\n") {
			t.Errorf("%s: %q is not one reply line", name, r.Line(true))
		}
		if r.Enhanced != "" && r.Enhanced[0] != strconv.Itoa(r.Code)[0] {
			t.Errorf("%s: %d with %s", name, r.Code, r.Enhanced)
		}
		i := strings.LastIndex(r.Text, "(#")
		if i < 0 || !strings.HasSuffix(r.Text, ")") {
			continue
		}
		own := r.Text[i+2 : len(r.Text)-1]
		if own != r.Enhanced && !originalCodes[name] {
			t.Errorf("%s: %q says %s, the enhanced code %s", name, r.Line(true), own, r.Enhanced)
		}
		if own == r.Enhanced && originalCodes[name] {
			t.Errorf("%s agrees now: take it out of originalCodes", name)
		}
	}
}

// Replies are defined in replies.go only: no other file of the package
// builds a Reply from a literal code.
func TestRepliesDefinedOnce(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	for _, f := range files {
		if f == "replies.go" || strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			if c, ok := n.(*ast.CompositeLit); ok {
				if id, ok := c.Type.(*ast.Ident); ok && id.Name == "Reply" {
					t.Errorf("%s: a reply made outside replies.go", fset.Position(c.Pos()))
				}
			}
			return true
		})
	}
}
