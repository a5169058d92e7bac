module github.com/oidc-harness/go-oidc-oracle

// The versions Weaviate v1.38.11's go.mod pins (go-oidc, go-jose, oauth2) and its Go language
// version: the oracle must verify with exactly what the real server verifies with.
go 1.26

require github.com/coreos/go-oidc/v3 v3.12.0

require (
	github.com/go-jose/go-jose/v4 v4.1.4 // indirect
	golang.org/x/oauth2 v0.36.0 // indirect
)
