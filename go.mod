module github.com/quail-mta/quail

go 1.26.0

require (
	github.com/colinmarc/cdb v0.0.0-20190223170904-60f317823f70
	github.com/miekg/dns v1.1.73
	golang.org/x/sys v0.49.0
)

require golang.org/x/net v0.57.0 // indirect
