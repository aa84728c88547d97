// Package tlsrpt is SMTP TLS Reporting (RFC 8460) as quail does it:
// qmail-remote says in its report which policy governed each TLS session
// and how the session went (Session, one line each); qmail-tlsrpt reads
// those lines back from qmail-send's log, counts them per policy and day
// (Counter) and sends each recipient domain that asks for reports (its
// _smtp._tls TXT record, ParseRecord) the day's report in RFC 8460's
// JSON (Report).
//
// Result types are RFC 8460's (section 4.3), as their constants here.
package tlsrpt

// Policy types (RFC 8460 section 4.4).
const (
	PolicySTS  = "sts"
	PolicyTLSA = "tlsa"
	PolicyNone = "no-policy-found"
)

// Result types: Success is quail's for a session that went as its policy
// asked; the others are RFC 8460's (section 4.3).
const (
	Success = "success"

	// Negotiation failures.
	STARTTLSNotSupported  = "starttls-not-supported"
	CertificateMismatch   = "certificate-host-mismatch"
	CertificateExpired    = "certificate-expired"
	CertificateNotTrusted = "certificate-not-trusted"
	ValidationFailure     = "validation-failure"

	// Policy failures.
	TLSAInvalid      = "tlsa-invalid"
	DNSSECInvalid    = "dnssec-invalid"
	DANERequired     = "dane-required"
	STSPolicyFetch   = "sts-policy-fetch-error"
	STSPolicyInvalid = "sts-policy-invalid"
	STSWebPKIInvalid = "sts-webpki-invalid"
)

// knownResult says whether r is one of the result types above.
func knownResult(r string) bool {
	switch r {
	case Success, STARTTLSNotSupported, CertificateMismatch, CertificateExpired,
		CertificateNotTrusted, ValidationFailure, TLSAInvalid, DNSSECInvalid,
		DANERequired, STSPolicyFetch, STSPolicyInvalid, STSWebPKIInvalid:
		return true
	}
	return false
}

func knownPolicy(p string) bool { return p == PolicySTS || p == PolicyTLSA || p == PolicyNone }
