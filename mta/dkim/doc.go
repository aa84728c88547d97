// Package dkim signs and verifies DomainKeys Identified Mail signatures
// (RFC 6376, with RFC 8301's algorithm rules and RFC 8463's
// ed25519-sha256) and Authenticated Received Chains (RFC 8617), for
// qmail-remote(8), qmail-dksign(8) and qmail-dkverify(8).
//
// Messages are given as quail stores them: header and body as one byte
// slice whose lines end in LF, CR LF, or (rarely) a CR alone; each of
// these is one line end, exactly as qmail-remote writes them out as CR
// LF, so what is signed here is what the next hop receives.
//
// Verify is the API the other authentication checks (DMARC) build on:
// one Verification per DKIM-Signature field, top to bottom, each with
// its signing domain (the SDID, d=), selector, algorithm, result and
// reason. The package never reads the environment, prints or exits; DNS
// comes through the TXTResolver the caller passes (dnsclient.Resolver in
// the programs, a test server in tests), and every lookup is bounded by
// the caller's context and by MaxSignatures.
//
// What is implemented, by section of RFC 6376:
//   - 3.2 tag lists (ParseTags), 3.4 the simple and relaxed
//     canonicalizations of header and body, 3.5 the DKIM-Signature field
//     (l= is verified, never written), 3.6.1 key records (ParseKey, with
//     the t=y and t=s flags, h=, k=, s=), 3.7 the hashes;
//   - 5 signing (Signer): rsa-sha256 and ed25519-sha256, relaxed/relaxed
//     by default, with a header list that oversigns (each name listed
//     once more than it occurs, so no copy can be added later);
//   - 6 verification: rsa-sha1 is reported as a failure (RFC 8301 3.1),
//     RSA keys under 1024 bits are refused (RFC 8301 3.2), an expired
//     signature (x=) or one that names no From field is a permerror.
package dkim
