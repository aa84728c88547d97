# Runs Debian's python3-dkim for mta/dkim's interoperability tests. It
# reads a JSON list of jobs on stdin and writes a JSON list of results,
# so that one interpreter serves a whole test:
#   {"op": "verify", "msg": B64}                       -> ["pass", "fail", ...] per signature
#   {"op": "sign", "msg": B64, "sel", "dom", "key", "alg", "hc", "bc"} -> B64 signed message
#   {"op": "arcsign", "msg": B64, "sel", "dom", "key", "srv"}          -> B64 sealed message
#   {"op": "arcverify", "msg": B64}                    -> the chain's cv
# argv[1] is a file of "name<TAB>TXT record" lines answering key lookups;
# "key" is a PEM RSA key, or the base64 Ed25519 seed python3-dkim takes.
import base64
import json
import sys
import dkim

def zone(path):
    z = {}
    with open(path, 'rb') as f:
        for line in f:
            name, _, txt = line.rstrip(b'\n').partition(b'\t')
            z[name.lower().rstrip(b'.')] = txt
    return z

def main():
    z = zone(sys.argv[1])
    dnsfunc = lambda name, timeout=5: z.get(name.lower().rstrip(b'.'))
    out = []
    for job in json.load(sys.stdin):
        msg = base64.b64decode(job['msg'])
        op = job['op']
        if op == 'verify':
            headers, _ = dkim.rfc822_parse(msg)
            n = sum(1 for k, _ in headers if k.lower() == b'dkim-signature')
            d = dkim.DKIM(msg)
            out.append(['pass' if d.verify(idx=i, dnsfunc=dnsfunc) else 'fail' for i in range(n)])
        elif op == 'sign':
            priv = open(job['key'], 'rb').read()
            sig = dkim.sign(msg, job['sel'].encode(), job['dom'].encode(), priv,
                            canonicalize=(job['hc'].encode(), job['bc'].encode()),
                            signature_algorithm=job['alg'].encode())
            out.append(base64.b64encode(sig + msg).decode())
        elif op == 'arcsign':
            priv = open(job['key'], 'rb').read()
            hs = dkim.arc_sign(msg, job['sel'].encode(), job['dom'].encode(), priv, job['srv'].encode(),
                               include_headers=[b'from', b'to', b'subject', b'date'])
            out.append(base64.b64encode(b''.join(hs) + msg).decode())
        elif op == 'arcverify':
            cv, results, reason = dkim.arc_verify(msg, dnsfunc=dnsfunc)
            out.append(cv.decode())
        else:
            sys.exit('unknown op ' + op)
    json.dump(out, sys.stdout)

main()
