module github.com/quail-mta/quail

go 1.26.0
