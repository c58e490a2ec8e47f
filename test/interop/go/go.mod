module github.com/dtx/interop

go 1.22

require github.com/dtm-labs/client v1.17.3
