package dkim

import "github.com/quail-mta/quail/mta/authres"

// Method is the verification as an Authentication-Results result (RFC
// 8601 section 2.7.1, RFC 6008 for header.b):
//
//	dkim=pass header.d=example.org header.i=@example.org header.s=sel header.a=rsa-sha256 header.b=AbCdEfGh
//
// A failure carries its reason; a key marked t=y says "testing key" in
// a comment.
func (v Verification) Method() authres.Method {
	m := authres.Method{Method: "dkim", Result: string(v.Result), Reason: v.Reason}
	if v.Testing {
		m.Comment = "testing key"
	}
	add := func(name, value string) {
		if value != "" {
			m.Props = append(m.Props, authres.Prop{Type: "header", Name: name, Value: value})
		}
	}
	add("d", v.Domain)
	if v.Domain != "" {
		add("i", v.Identity)
	}
	add("s", v.Selector)
	add("a", v.Algorithm)
	b := v.Signature
	if len(b) > 8 {
		b = b[:8]
	}
	add("b", b)
	return m
}

// Methods are the results of vs, or one "dkim=none" when there are none.
func Methods(vs []Verification) []authres.Method {
	if len(vs) == 0 {
		return []authres.Method{{Method: "dkim", Result: string(None)}}
	}
	out := make([]authres.Method, len(vs))
	for i, v := range vs {
		out[i] = v.Method()
	}
	return out
}
