// Package mtasts is the sending side of SMTP MTA Strict Transport
// Security (RFC 8461): a recipient domain's _mta-sts TXT record, its
// policy fetched over HTTPS from mta-sts.<domain>, the cache that keeps
// policies across deliveries and processes, and the checks a policy asks
// of each MX host.
//
// How a policy is found (Client.Discover, RFC 8461 sections 3 and 5.1):
//   - the TXT record of _mta-sts.<domain>: of the records that start with
//     "v=STSv1", exactly one must be left, with an id;
//   - a policy in the cache that has not outlived its max_age and carries
//     the record's id is used as it is; when the id differs, or nothing is
//     cached, the policy is fetched from
//     https://mta-sts.<domain>/.well-known/mta-sts.txt: the host's
//     certificate verified (the system's roots, or the trust anchors the
//     administrator names), no redirects, a 200 answer of type text/plain
//     of at most MaxPolicyBytes, within FetchTimeout;
//   - when the record is missing or the fetch fails, a cached policy that
//     has not expired is still used: that is what keeps an attacker who
//     removes the record or blocks the fetch from turning the policy off;
//     without one, there is no policy.
//
// How it applies (RFC 8461 sections 4 and 5): in enforce mode only the MX
// hosts the policy names are used, each only over TLS with a certificate
// that is valid now, chains to a trusted root and names the MX host; in
// testing mode the same checks are made and their failures reported, and
// mail goes on as without a policy; mode none is no policy.
package mtasts
